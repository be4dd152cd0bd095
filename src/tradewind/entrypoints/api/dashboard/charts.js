// The dashboard's charts and backtests: a bot's candlestick chart with its indicators and its
// fills marked by reason, the backtest page, and the bot form's "backtest this first".
// Drawn as inline SVG here (no chart library, no CDN); it uses app.js's el, api, main, turn.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const REASON_COLOURS = {
  entry: "#1570ef", signal: "#7a5af8", take_profit: "#067647", stop_loss: "#b42318", trailing_stop: "#dc6803",
};
const LINE_COLOURS = ["#f79009", "#6172f3", "#0ba5ec", "#ee46bc", "#15b79e"];
const CHART_WIDTH = 1000;
const PRICE_HEIGHT = 320;
const OSCILLATOR_HEIGHT = 110;
const PAD = { left: 70, right: 12, top: 12, bottom: 22 };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function scale(lo, hi, top, bottom) {
  const span = hi - lo || Math.abs(hi) || 1;
  return (value) => bottom - ((value - lo) / span) * (bottom - top);
}

// A line through the values, broken where a value is null (an indicator not yet defined).
function seriesPath(values, x, y) {
  let d = "";
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { pen = false; return; }
    d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

// The index of the candle a fill at `time` happened in: the last one opened at or before it.
function candleAt(candles, time) {
  let lo = 0, hi = candles.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (candles[mid].time <= time) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

// --- A bot's chart -------------------------------------------------------------------

function chartHolder(id) {
  return el("section", { id: "chart", "data-chart-of": id }, el("p", {}, "Loading the chart…"));
}

async function loadChart(id, holder) {
  try {
    const chart = await api("GET", `/bots/${id}/chart?limit=200`);
    if (!holder.isConnected) return;
    holder.replaceChildren(el("h3", {}, `Chart · ${chart.symbol} ${chart.timeframe}`),
      candleChart(chart), chartLegend(chart), el("p", { class: "note", id: "chart-note" }, chart.note));
  } catch (e) { holder.replaceChildren(el("p", { class: "error" }, `chart: ${e.message}`)); }
}

function candleChart(chart) {
  const candles = chart.candles;
  const names = Object.keys(chart.indicators);
  const overlays = names.filter((n) => !n.startsWith("rsi"));
  const oscillators = names.filter((n) => n.startsWith("rsi"));
  const height = PRICE_HEIGHT + (oscillators.length ? OSCILLATOR_HEIGHT : 0) + PAD.bottom;
  const root = svg("svg", { viewBox: `0 0 ${CHART_WIDTH} ${height}`, class: "chart", id: "candle-chart", role: "img" });
  if (!candles.length) {
    root.append(svg("text", { x: PAD.left, y: 40, class: "axis" }, "no candles to draw"));
    return root;
  }
  const step = (CHART_WIDTH - PAD.left - PAD.right) / candles.length;
  const x = (i) => PAD.left + (i + 0.5) * step;
  let lo = Math.min(...candles.map((c) => c.low));
  let hi = Math.max(...candles.map((c) => c.high));
  for (const name of overlays) for (const v of chart.indicators[name]) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const margin = (hi - lo) * 0.06 || 1;
  const y = scale(lo - margin, hi + margin, PAD.top, PRICE_HEIGHT);
  root.append(svg("text", { x: 4, y: PAD.top + 10, class: "axis" }, hi.toPrecision(6)),
    svg("text", { x: 4, y: PRICE_HEIGHT, class: "axis" }, lo.toPrecision(6)),
    svg("text", { x: PAD.left, y: height - 6, class: "axis" }, when(candles[0].time)),
    svg("text", { x: CHART_WIDTH - PAD.right, y: height - 6, class: "axis", "text-anchor": "end" }, when(candles[candles.length - 1].time)));
  const body = Math.max(1, step * 0.6);
  candles.forEach((c, i) => {
    const colour = c.close >= c.open ? "#12b76a" : "#f04438";
    root.append(svg("g", { class: "candle" },
      svg("line", { x1: x(i), x2: x(i), y1: y(c.high), y2: y(c.low), stroke: colour }),
      svg("rect", { x: x(i) - body / 2, y: y(Math.max(c.open, c.close)), width: body,
        height: Math.max(1, Math.abs(y(c.open) - y(c.close))), fill: colour })));
  });
  names.forEach((name, k) => {
    const pane = overlays.includes(name) ? y : scale(0, 100, PRICE_HEIGHT + 10, PRICE_HEIGHT + OSCILLATOR_HEIGHT - 4);
    root.append(svg("path", { d: seriesPath(chart.indicators[name], x, pane), fill: "none",
      stroke: LINE_COLOURS[k % LINE_COLOURS.length], "stroke-width": 1.5, class: "indicator", "data-name": name }));
  });
  if (oscillators.length) {
    const pane = scale(0, 100, PRICE_HEIGHT + 10, PRICE_HEIGHT + OSCILLATOR_HEIGHT - 4);
    for (const level of [30, 70]) {
      root.append(svg("line", { x1: PAD.left, x2: CHART_WIDTH - PAD.right, y1: pane(level), y2: pane(level), class: "level" }));
      root.append(svg("text", { x: 4, y: pane(level) + 4, class: "axis" }, String(level)));
    }
  }
  for (const m of chart.markers) {
    const i = candleAt(candles, m.time);
    if (i < 0) continue;
    const colour = REASON_COLOURS[m.reason] ?? "#344054";
    // Entries point up from under the candle, exits down from above it.
    const tip = m.kind === "entry" ? y(candles[i].low) + 4 : y(candles[i].high) - 4;
    const base = m.kind === "entry" ? tip + 10 : tip - 10;
    const points = `${x(i)},${tip} ${x(i) - 6},${base} ${x(i) + 6},${base}`;
    root.append(svg("polygon", { points, fill: colour, class: "marker", "data-reason": m.reason, "data-kind": m.kind },
      svg("title", {}, `${m.reason.replace("_", " ")}: ${m.side} ${m.quantity} @ ${m.price} ${when(m.time)}` +
        (m.realized_pnl === null ? "" : `, PnL ${m.realized_pnl}`))));
  }
  return root;
}

function chartLegend(chart) {
  const names = Object.keys(chart.indicators);
  const reasons = [...new Set(chart.markers.map((m) => m.reason))];
  return el("p", { class: "legend" },
    ...names.map((name, k) => el("span", { class: `swatch line-${k % LINE_COLOURS.length}` }, name)),
    ...reasons.map((reason) => el("span", { class: `swatch reason-${reason}` }, `▲▼ ${reason.replace("_", " ")}`)));
}

// --- Backtests -----------------------------------------------------------------------

function sleep(ms) { return new Promise((done) => setTimeout(done, ms)); }

// Poll a job until it is done or failed, or `still()` says nobody is looking any more.
async function waitForJob(id, still) {
  for (;;) {
    const job = await api("GET", `/backtests/${id}`);
    if (job.status === "done" || job.status === "failed" || !still()) return job;
    await sleep(1000);
  }
}

function percent(fraction) { return `${(fraction * 100).toFixed(2)} %`; }

function summaryLine(job) {
  if (job.status === "failed") return `backtest failed: ${job.error}`;
  const s = job.result.summary;
  return `${s.trades} trades, ${s.wins} won, PnL ${s.total_pnl} (balance ${s.initial_balance} → ${s.final_balance}), ` +
    `max drawdown ${percent(s.max_drawdown)}, buy and hold ${percent(s.buy_and_hold)}, on ${s.candles} candles of ${s.source}`;
}

// The bot form's "backtest this first": the form's config on the newest candles there are.
function backtestFirst(form) {
  const out = el("p", { id: "backtest-first", class: "note" });
  const button = el("button", { type: "button", id: "backtest-first-button", onclick: async () => {
    const config = botFormConfig(new FormData(form));
    if (!config.name) config.name = "backtest";
    out.textContent = "backtesting…";
    try {
      const job = await api("POST", "/backtests", { config, source: "auto", candles: 2000 });
      const done = await waitForJob(job.id, () => out.isConnected);
      out.replaceChildren(summaryLine(done), " ", el("a", { href: `#/backtests/${done.id}` }, "full report"));
    } catch (e) { out.textContent = e.message; }
  } }, "Backtest this first");
  return el("div", { class: "backtest-first" }, button, out);
}

async function showBacktests() {
  const mine = nextTurn();
  const [jobs, strategies] = await Promise.all([api("GET", "/backtests"), api("GET", "/strategies")]);
  const errors = el("pre", { class: "error", id: "backtest-errors" });
  const form = el("form", { id: "backtest-form" }, el("h3", {}, "New backtest"),
    field("Symbol", "symbol", { value: "BTCUSDT", required: "" }),
    choice("Timeframe", "timeframe", ["1m", "5m", "15m", "1h", "4h", "1d"].map((t) => [t, t]), "15m"),
    choice("Position type", "position_type", [["spot", "spot"], ["futures", "USDⓈ-M futures"]], "spot"),
    choice("Strategy (default parameters)", "strategy", strategies.map((s) => [s.name, s.name]), strategies[0].name),
    field("Stop-loss %", "custom_stop_loss", { inputmode: "decimal" }),
    field("Take-profit %", "custom_take_profit", { inputmode: "decimal" }),
    choice("Candles from", "source", [["auto", "the candle store, else generated"], ["store", "the candle store"], ["generated", "a generated market"]], "auto"),
    field("Candles", "candles", { value: "5000", inputmode: "numeric" }), field("Seed (generated)", "seed", { value: "0" }),
    el("button", { type: "submit" }, "Run"), errors);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const config = { name: "backtest", symbol: data.get("symbol"), timeframe: data.get("timeframe"),
      position_type: data.get("position_type"), strategy: { name: data.get("strategy") } };
    for (const key of ["custom_stop_loss", "custom_take_profit"]) if (data.get(key)) config[key] = data.get(key);
    try {
      const job = await api("POST", "/backtests", { config, source: data.get("source"),
        candles: Number(data.get("candles")), seed: Number(data.get("seed")) });
      location.hash = `#/backtests/${job.id}`;
    } catch (e) { errors.textContent = e.message; }
  });
  main(mine, el("h2", {}, "Backtests"),
    table(["Submitted", "Market", "Strategy", "Status"], jobs.map((j) => el("tr", { "data-job": j.id },
      el("td", {}, el("a", { href: `#/backtests/${j.id}` }, when(j.submitted_at))),
      el("td", {}, `${j.config.symbol} ${j.config.timeframe} ${j.config.position_type}`),
      el("td", {}, j.config.strategy.name), el("td", {}, j.status)))),
    form);
}

async function showBacktest(id) {
  const mine = nextTurn();
  const job = await api("GET", `/backtests/${id}`);
  const c = job.config;
  const head = [el("h2", {}, `Backtest · ${c.symbol} ${c.timeframe} ${c.position_type} · ${c.strategy.name}`),
    el("p", { id: "backtest-status" }, `Status: ${job.status}`)];
  if (job.status === "queued" || job.status === "running") {
    main(mine, ...head);
    await waitForJob(id, () => mine === turn);
    if (mine === turn) await showBacktest(id);
    return;
  }
  if (job.status === "failed") { main(mine, ...head, el("p", { class: "error" }, job.error)); return; }
  const s = job.result.summary;
  const rows = [["Candles", `${s.candles} (${when(s.start_time)} → ${when(s.end_time)})`], ["Source", s.source],
    ["Balance", `${s.initial_balance} → ${s.final_balance}`], ["PnL", s.total_pnl], ["Fees", s.fees],
    ["Trades", `${s.trades} (${s.wins} won)`], ["Max drawdown", percent(s.max_drawdown)],
    ["Buy and hold", percent(s.buy_and_hold)],
    ["Exits", Object.entries(s.exits_by_reason).map(([k, v]) => `${k} ${v}`).join(", ") || "–"],
    ["Entries skipped", Object.entries(s.skipped).map(([k, v]) => `${k} ${v}`).join(", ") || "–"],
    ["Warnings", s.warnings.join("; ") || "–"]];
  main(mine, ...head,
    el("table", { id: "backtest-summary" }, ...rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))),
    el("h3", {}, "Equity"), equityChart(job.result.equity),
    el("h3", {}, "Trades"),
    table(["Entry", "Side", "Entry price", "Quantity", "Exit", "Exit price", "Why", "PnL"], job.result.trades.map((t) => el("tr", {},
      el("td", {}, when(t.entry_time)), el("td", {}, t.side), el("td", { class: "num" }, t.entry_price),
      el("td", { class: "num" }, t.quantity), el("td", {}, when(t.exit_time)), el("td", { class: "num" }, money(t.exit_price)),
      el("td", {}, t.exit_reason ?? "open"), el("td", { class: "num" }, money(t.pnl))))));
}

function equityChart(points) {
  const height = 200;
  const root = svg("svg", { viewBox: `0 0 ${CHART_WIDTH} ${height}`, class: "chart", id: "equity-chart", role: "img" });
  if (points.length < 2) return root;
  const values = points.map((p) => p.equity);
  const lo = Math.min(...values), hi = Math.max(...values);
  const x = (i) => PAD.left + (i / (points.length - 1)) * (CHART_WIDTH - PAD.left - PAD.right);
  const y = scale(lo, hi, PAD.top, height - PAD.bottom);
  root.append(svg("path", { d: seriesPath(values, x, y), fill: "none", stroke: "#1570ef", "stroke-width": 1.5, class: "equity" }),
    svg("text", { x: 4, y: PAD.top + 10, class: "axis" }, hi.toFixed(2)),
    svg("text", { x: 4, y: height - PAD.bottom, class: "axis" }, lo.toFixed(2)),
    svg("text", { x: PAD.left, y: height - 4, class: "axis" }, when(points[0].time)),
    svg("text", { x: CHART_WIDTH - PAD.right, y: height - 4, class: "axis", "text-anchor": "end" }, when(points[points.length - 1].time)));
  return root;
}
