// The tradewind dashboard: a page of plain DOM over the JSON API, no framework, no CDN.
// Every value from the API is put in the page with textContent, never as HTML.
"use strict";

const API = "/api/v1";
let csrf = null;
let me = null;
let stream = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  // "no-cache": a page read again is asked with the ETag the browser kept (If-None-Match);
  // a 304 hands this code the kept answer, and the server skipped the page's queries.
  const answer = await fetch(API + path, {
    method, headers, credentials: "same-origin", cache: "no-cache",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = answer.status === 204 ? null : await answer.json();
  if (answer.status === 401 && path !== "/auth/login") { showLogin(); throw new Error("signed out"); }
  if (!answer.ok) throw Object.assign(new Error(describe(data)), { status: answer.status, data });
  return data;
}

function describe(data) {
  if (!data || data.detail === undefined) return "the request failed";
  if (typeof data.detail === "string") return data.detail;
  return data.detail.map((e) => `${e.loc.filter((p) => p !== "body").join(".")}: ${e.msg}`).join("\n");
}

function flash(text) { document.getElementById("flash").textContent = text; }
// Each page render takes a turn; a slower fetch of an earlier page (the bots list still loading
// when the user clicks elsewhere) must not paint over the page asked for last.
let turn = 0;
function nextTurn() { turn += 1; return turn; }
function main(mine, ...children) {
  if (mine !== turn) return;
  document.getElementById("main").replaceChildren(...children);
}
function table(headers, rows) {
  return el("table", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h))), ...rows);
}
// An exit is named as everywhere else (backtests, trade files, notifications): a closing
// signal's order has the purpose `close`, its exit reason is `signal`.
function why(purpose) { return purpose === "close" ? "signal" : purpose; }
function money(value) { return value === null || value === undefined ? "–" : value; }
function when(seconds) { return seconds ? new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ") : "–"; }

// --- Signing in ----------------------------------------------------------------------

function showLogin() {
  const mine = nextTurn();
  if (stream) { stream.close(); stream = null; }
  document.getElementById("nav").hidden = true;
  const error = el("p", { class: "error", id: "login-error" });
  const form = el("form", { id: "login" },
    el("h2", {}, "Sign in"),
    el("label", {}, "Email", el("input", { name: "email", type: "email", required: "", autocomplete: "username" })),
    el("label", {}, "Password", el("input", { name: "password", type: "password", required: "", autocomplete: "current-password" })),
    el("label", { id: "code-field", hidden: "" }, "Two-factor code (or a recovery code)",
      el("input", { name: "code", autocomplete: "one-time-code", inputmode: "numeric" })),
    el("button", { type: "submit" }, "Sign in"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    try {
      const body = { email: fields.get("email"), password: fields.get("password") };
      if (fields.get("code")) body.code = fields.get("code");
      const session = await api("POST", "/auth/login", body);
      csrf = session.csrf_token; me = session.user;
      signedIn();
    } catch (e) {
      // The password was right and the account asks for its second factor: ask for it.
      if (e.status === 401 && e.message.startsWith("code:")) document.getElementById("code-field").hidden = false;
      error.textContent = e.message;
    }
  });
  main(mine, form);
}

function signedIn() {
  document.getElementById("nav").hidden = false;
  document.getElementById("who").textContent = `${me.email}${me.role === "operator" ? " (operator)" : ""}`;
  document.getElementById("operator-link").hidden = me.role !== "operator";
  listen();
  route();
}

// --- Live updates --------------------------------------------------------------------

function listen() {
  if (stream) stream.close();
  stream = new EventSource(`${API}/events`);
  stream.addEventListener("bot", (event) => {
    const bot = JSON.parse(event.data);
    document.querySelectorAll(`[data-bot="${bot.id}"]`).forEach((node) => node.replaceWith(botRow(bot)));
    const page = document.getElementById("bot-page");
    if (page && page.dataset.id === String(bot.id)) page.replaceWith(botPanel(bot));
  });
  stream.addEventListener("trade", () => { if (location.hash.startsWith("#/bots/")) route(); });
  stream.addEventListener("end", () => { stream.close(); showLogin(); });
}

// --- Bots ----------------------------------------------------------------------------

function status(bot) { return el("span", { class: `status-${bot.state.status}` }, bot.state.status); }
function position(bot) {
  const p = bot.state.position;
  return p ? `${p.side} ${p.quantity} @ ${p.entry_price}` : "flat";
}

function action(label, path, after) {
  return el("button", { type: "button", "data-action": label, onclick: async () => {
    try { const bot = await api("POST", path); if (after) after(bot); } catch (e) { flash(e.message); }
  } }, label);
}

function botRow(bot) {
  const toggle = bot.active ? action("stop", `/bots/${bot.id}/stop`) : action("start", `/bots/${bot.id}/start`);
  return el("tr", { "data-bot": bot.id },
    el("td", {}, el("a", { href: `#/bots/${bot.id}` }, bot.config.name)),
    el("td", {}, bot.config.symbol), el("td", {}, bot.config.timeframe),
    el("td", {}, status(bot)), el("td", {}, bot.state.reason ?? ""), el("td", {}, position(bot)),
    el("td", { class: "num" }, money(bot.today?.realized_pnl)), el("td", {}, toggle));
}

async function showBots() {
  const mine = nextTurn();
  const bots = await api("GET", "/bots");
  const pnl = await api("GET", "/pnl");
  const total = pnl.length ? pnl[pnl.length - 1].cumulative : "0";
  main(mine, el("h2", {}, "Bots"), el("p", { id: "total-pnl" }, `Realized PnL in total: ${total}`),
    bots.length
      ? table(["Bot", "Symbol", "Timeframe", "Status", "Why", "Position", "PnL today", ""], bots.map(botRow))
      : el("p", { id: "no-bots" }, "No bots yet: ", el("a", { href: "#/bots/new" }, "create one")));
}

function botPanel(bot) {
  const buttons = [bot.active ? action("stop", `/bots/${bot.id}/stop`) : action("start", `/bots/${bot.id}/start`)];
  if (bot.state.closing) buttons.push(el("span", { id: "closing" }, "closing the position at the next tick…"));
  else if (bot.state.position) buttons.push(action("close", `/bots/${bot.id}/close`, (closing) => {
    flash("the position closes at the next tick (a MARKET order)");
    document.getElementById("bot-page")?.replaceWith(botPanel(closing));
  }));
  if (!bot.active) buttons.push(el("button", { type: "button", "data-action": "delete", onclick: async () => {
    try { await api("DELETE", `/bots/${bot.id}`); location.hash = "#/"; } catch (e) { flash(e.message); }
  } }, "delete"));
  const limits = bot.config.max_daily_trades ? ` of ${bot.config.max_daily_trades}` : "";
  return el("section", { id: "bot-page", "data-id": bot.id },
    el("h2", {}, `${bot.config.name} · ${bot.config.symbol} ${bot.config.timeframe} ${bot.config.position_type}`),
    el("p", {}, "Status: ", status(bot), " ", bot.state.reason ?? ""),
    el("p", {}, `Position: ${position(bot)} · Today: ${bot.today?.entries ?? 0}${limits} entries, PnL ${money(bot.today?.realized_pnl)}`),
    el("p", {}, `Strategy: ${bot.config.strategy.name} · Account: ${bot.account}`), el("p", {}, ...buttons));
}

async function showBot(id) {
  const mine = nextTurn();
  const [bot, orders, trades] = await Promise.all([
    api("GET", `/bots/${id}`), api("GET", `/bots/${id}/orders`), api("GET", `/bots/${id}/trades`)]);
  const chart = chartHolder(id);
  main(mine, botPanel(bot), chart,
    el("h3", {}, "Trades"),
    table(["Time", "Side", "Why", "Price", "Quantity", "Fee", "PnL"], trades.map((t) => el("tr", {},
      el("td", {}, when(t.timestamp)), el("td", {}, t.side), el("td", {}, why(t.purpose)), el("td", { class: "num" }, t.price),
      el("td", { class: "num" }, t.quantity), el("td", { class: "num" }, t.fee), el("td", { class: "num" }, money(t.realized_pnl))))),
    el("h3", {}, "Orders"),
    table(["Time", "Side", "Why", "Status", "Filled", "Avg price", "Reason"], orders.map((o) => el("tr", {},
      el("td", {}, when(o.created_at)), el("td", {}, o.side), el("td", {}, why(o.purpose)), el("td", {}, o.status),
      el("td", { class: "num" }, `${o.filled_qty}/${o.requested_qty}`), el("td", { class: "num" }, money(o.avg_price)),
      el("td", {}, o.reason ?? "")))));
  if (mine === turn) await loadChart(id, chart);
}

// --- The bot form, built from the strategy's parameters --------------------------------

function field(label, name, attrs = {}) { return el("label", {}, label, el("input", { name, ...attrs })); }
function choice(label, name, options, value) {
  return el("label", {}, label, el("select", { name }, ...options.map(([v, text]) => {
    const option = el("option", { value: v }, text); if (v === value) option.selected = true; return option;
  })));
}

async function showBotForm() {
  const mine = nextTurn();
  const [accounts, strategies] = await Promise.all([api("GET", "/accounts"), api("GET", "/strategies")]);
  if (!accounts.length) { main(mine, el("p", {}, "Add an exchange account first: ", el("a", { href: "#/accounts" }, "accounts"))); return; }
  const params = el("fieldset", { id: "params" });
  const strategySelect = choice("Strategy", "strategy", strategies.map((s) => [s.name, `${s.name}: ${s.summary}`]), strategies[0].name);
  const fillParams = () => {
    const chosen = strategies.find((s) => s.name === strategySelect.querySelector("select").value);
    params.replaceChildren(el("legend", {}, `${chosen.name} parameters`), ...chosen.parameters.map((p) =>
      field(`${p.name} (${p.bounds || "any"}) — ${p.description}`, `param:${p.name}`, { value: p.default, inputmode: "decimal" })));
  };
  strategySelect.querySelector("select").addEventListener("change", fillParams);
  fillParams();
  const errors = el("pre", { class: "error", id: "bot-errors" });
  const form = el("form", { id: "bot-form" }, el("h2", {}, "New bot"),
    choice("Account", "account_id", accounts.map((a) => [String(a.id), `${a.name} (${a.kind})`])),
    field("Name", "name", { required: "" }), field("Symbol", "symbol", { value: "BTCUSDT", required: "" }),
    choice("Timeframe", "timeframe", ["1m", "5m", "15m", "1h", "4h", "1d"].map((t) => [t, t]), "1h"),
    choice("Position type", "position_type", [["spot", "spot"], ["futures", "USDⓈ-M futures"]], "spot"),
    field("Stop-loss %", "custom_stop_loss", { inputmode: "decimal" }),
    field("Take-profit %", "custom_take_profit", { inputmode: "decimal" }),
    field("Position size (quote)", "position_size_fixed", { inputmode: "decimal" }),
    strategySelect, params, el("button", { type: "submit" }, "Create (stopped)"), errors);
  form.append(backtestFirst(form));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const config = botFormConfig(data);
    try {
      const bot = await api("POST", "/bots", { account_id: Number(data.get("account_id")), config });
      location.hash = `#/bots/${bot.id}`;
    } catch (e) { errors.textContent = e.message; }
  });
  main(mine, form);
}

function botFormConfig(data) {
  const strategy = { name: data.get("strategy") };
  const config = { name: data.get("name"), symbol: data.get("symbol"), timeframe: data.get("timeframe"), position_type: data.get("position_type"), strategy };
  for (const [key, value] of data.entries()) {
    if (key.startsWith("param:")) strategy[key.slice(6)] = Number(value);
    else if (["custom_stop_loss", "custom_take_profit", "position_size_fixed"].includes(key) && value !== "") config[key] = value;
  }
  return config;
}

// --- Accounts and tokens -------------------------------------------------------------

async function showAccounts() {
  const mine = nextTurn();
  const accounts = await api("GET", "/accounts");
  const errors = el("p", { class: "error" });
  const form = el("form", { id: "account-form" }, el("h3", {}, "Add a paper account"),
    field("Name", "name", { required: "", value: "paper" }), field("Starting USDT", "balance", { value: "10000" }),
    el("button", { type: "submit" }, "Add"), errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try { await api("POST", "/accounts", { name: data.get("name"), kind: "paper", balance: data.get("balance") }); showAccounts(); }
    catch (e) { errors.textContent = e.message; }
  });
  main(mine, el("h2", {}, "Exchange accounts"),
    table(["Name", "Kind", "Keys", "Balances"], accounts.map((a) => el("tr", { "data-account": a.id },
      el("td", {}, a.name), el("td", {}, a.kind + (a.testnet ? " testnet" : "")), el("td", {}, a.has_api_key ? "set" : "–"),
      el("td", {}, Object.entries(a.paper_balances).map(([w, b]) => `${w}: ${Object.entries(b).map(([k, v]) => `${v} ${k}`).join(", ")}`).join("; "))))),
    form);
}

async function showTokens() {
  const mine = nextTurn();
  const tokens = await api("GET", "/tokens");
  const shown = el("p", { class: "secret", id: "new-token", hidden: "" });
  const form = el("form", { id: "token-form" }, el("h3", {}, "New token"), field("Name", "name", { required: "" }),
    choice("Scopes", "scopes", [["read", "read"], ["read,trade", "read and trade"]], "read"),
    field("Days", "days", { value: "90" }), el("button", { type: "submit" }, "Create"), shown);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const made = await api("POST", "/tokens", { name: data.get("name"), scopes: data.get("scopes").split(","), days: Number(data.get("days")) });
      await showTokens();
      const again = document.getElementById("new-token");
      again.hidden = false; again.textContent = `Copy it now, it is not shown again: ${made.secret}`;
    } catch (e) { flash(e.message); }
  });
  main(mine, el("h2", {}, "Personal API tokens"),
    table(["Name", "Prefix", "Scopes", "Expires", ""], tokens.map((t) => el("tr", {},
      el("td", {}, t.name), el("td", {}, `${t.prefix}…`), el("td", {}, t.scopes.join(", ")), el("td", {}, when(t.expires_at)),
      el("td", {}, t.revoked_at ? "revoked" : el("button", { type: "button", onclick: async () => { await api("DELETE", `/tokens/${t.id}`); showTokens(); } }, "revoke"))))),
    form);
}

// --- The operator's page ------------------------------------------------------------

async function showOperator() {
  const mine = nextTurn();
  const users = await api("GET", "/users");
  const stopAll = el("button", { type: "button", id: "stop-all", onclick: async () => {
    if (!window.confirm("Stop every running bot of every user?")) return;
    try { const done = await api("POST", "/bots/stop-all"); flash(`stopped ${done.stopped.length} bot(s)`); await showOperator(); }
    catch (e) { flash(e.message); }
  } }, "Stop every bot");
  const toggle = (u) => el("button", { type: "button", "data-action": u.disabled ? "enable" : "disable", onclick: async () => {
    try { await api("POST", `/users/${u.id}/${u.disabled ? "enable" : "disable"}`); await showOperator(); } catch (e) { flash(e.message); }
  } }, u.disabled ? "enable" : "disable");
  main(mine, el("h2", {}, "Operator"), el("p", {}, stopAll),
    table(["User", "Role", "Bots", "Running", "Sign-in", ""], users.map((u) => el("tr", { "data-user": u.id },
      el("td", {}, u.email), el("td", {}, u.role ?? "no password"), el("td", { class: "num" }, u.bots),
      el("td", { class: "num" }, u.running), el("td", {}, u.disabled ? "disabled" : "allowed"),
      el("td", {}, u.id === me.id ? "" : toggle(u))))));
}

// --- Routing -------------------------------------------------------------------------

async function route() {
  if (!me) return;
  flash("");
  const hash = location.hash || "#/";
  const bot = hash.match(/^#\/bots\/(\d+)$/);
  const backtest = hash.match(/^#\/backtests\/([A-Za-z0-9_-]+)$/);
  try {
    if (hash === "#/bots/new") await showBotForm();
    else if (bot) await showBot(bot[1]);
    else if (hash === "#/accounts") await showAccounts();
    else if (hash === "#/tokens") await showTokens();
    else if (hash === "#/operator") await showOperator();
    else if (hash === "#/security") await showSecurity();
    else if (hash === "#/notifications") await showNotifications();
    else if (hash === "#/backtests") await showBacktests();
    else if (backtest) await showBacktest(backtest[1]);
    else await showBots();
  } catch (e) { flash(e.message); }
}

window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", async () => {
  document.getElementById("logout").addEventListener("click", async () => {
    try { await api("POST", "/auth/logout"); } finally { me = null; csrf = null; showLogin(); }
  });
  try {
    const session = await api("GET", "/auth/me");
    me = session.user; csrf = session.csrf_token; signedIn();
  } catch (e) { showLogin(); }
});
