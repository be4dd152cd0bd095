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
  const [channels, deliveries] = await Promise.all([
    api("GET", "/notifications/channels"), api("GET", "/notifications/deliveries?limit=20")]);
  const errors = el("p", { class: "error", id: "channel-error" });
  const form = el("form", { id: "channel-form" }, el("h3", {}, "Add a channel"),
    field("Name", "name", { required: "" }),
    choice("Kind", "kind", [["email", "email"], ["webhook", "webhook"]], "email"),
    field("Email address (email)", "to", { type: "email" }),
    field("URL (webhook)", "url", { type: "url" }),
    field("Signing secret, whsec_… (webhook)", "secret", { type: "password", autocomplete: "off" }),
    el("button", { type: "submit" }, "Add"), errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { name: data.get("name"), kind: data.get("kind") };
    for (const key of body.kind === "email" ? ["to"] : ["url", "secret"]) if (data.get(key)) body[key] = data.get(key);
    try { await api("POST", "/notifications/channels", body); await showNotifications(); } catch (e) { errors.textContent = e.message; }
  });
  const button = (label, method, path, done) => el("button", { type: "button", "data-action": label, onclick: async () => {
    try { await api(method, path); flash(done); await showNotifications(); } catch (e) { flash(e.message); }
  } }, label);
  main(mine, el("h2", {}, "Notifications"),
    channels.length
      ? table(["Name", "Kind", "Where", ""], channels.map((c) => el("tr", { "data-channel": c.id },
        el("td", {}, c.name), el("td", {}, c.kind), el("td", {}, c.target),
        el("td", {}, button("test", "POST", `/notifications/channels/${c.id}/test`, `a test is on its way to ${c.name}`),
          " ", button("delete", "DELETE", `/notifications/channels/${c.id}`, `${c.name} deleted`)))))
      : el("p", { id: "no-channels" }, "No channels yet: every event of your bots goes to the channels you add."),
    form,
    el("h3", {}, "Latest deliveries"),
    table(["Time", "Event", "Channel", "Status", "Tries", "Last error", ""], deliveries.map((d) => el("tr", { "data-delivery": d.id },
      el("td", {}, when(d.created_at)), el("td", {}, d.event_type), el("td", {}, d.channel), el("td", {}, d.status),
      el("td", { class: "num" }, d.attempts), el("td", {}, d.last_error ?? ""),
      el("td", {}, d.status === "dead" ? button("retry", "POST", `/notifications/deliveries/${d.id}/retry`, "tried again from now") : "")))));
}
