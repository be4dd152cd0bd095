// The dashboard's settings pages: two-factor sign-in and notifications. Loaded after
// app.js, whose helpers (el, api, main, nextTurn, field, choice, table, flash, when) it uses.
"use strict";

// --- Two-factor sign-in ----------------------------------------------------------------

async function showSecurity() {
  const mine = nextTurn();
  const status = await api("GET", "/auth/2fa");
  const shown = el("div", { id: "two-factor-shown" });
  const codeForm = (id, label, path, after) => {
    const form = el("form", { id }, field("Code from the authenticator", "code", { required: "", autocomplete: "one-time-code" }),
      el("button", { type: "submit" }, label));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try { after(await api("POST", path, { code: new FormData(form).get("code") })); } catch (e) { flash(e.message); }
    });
    return form;
  };
  const parts = [el("h2", {}, "Two-factor sign-in")];
  if (status.enabled) {
    parts.push(el("p", { id: "two-factor-state" }, `On. Recovery codes left: ${status.recovery_codes_left}.`),
      el("h3", {}, "Turn it off"),
      codeForm("two-factor-disable", "Turn off", "/auth/2fa/disable", async () => { await showSecurity(); flash("two-factor sign-in is off"); }));
  } else {
    const enroll = el("button", { type: "button", id: "two-factor-enroll", onclick: async () => {
      try {
        const made = await api("POST", "/auth/2fa/enroll");
        shown.replaceChildren(
          el("p", {}, "Add this to your authenticator app (shown once), then type the code it shows:"),
          el("p", { class: "secret", id: "two-factor-secret" }, made.secret),
          el("p", { class: "secret" }, made.otpauth_uri),
          codeForm("two-factor-confirm", "Turn on", "/auth/2fa/confirm", async (answer) => {
            await showSecurity();
            document.getElementById("two-factor-shown").replaceChildren(
              el("p", {}, "Keep these recovery codes somewhere safe: each signs in once, and they are not shown again."),
              el("ul", { id: "recovery-codes" }, ...answer.recovery_codes.map((c) => el("li", { class: "secret" }, c))));
          }));
      } catch (e) { flash(e.message); }
    } }, status.pending ? "Start again" : "Set up");
    parts.push(el("p", { id: "two-factor-state" }, "Off: signing in needs only the password."), el("p", {}, enroll));
  }
  main(mine, ...parts, shown);
}

// --- Notifications ---------------------------------------------------------------------

async function showNotifications() {
  const mine = nextTurn();
  main(mine, el("h2", {}, "Notifications"), el("p", {}, "Coming soon."));
}
