// The backtest report's drawing and interaction: plain canvas, no library, no network.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("data").textContent);
  const B = D.bars;
  const N = B.t.length;
  const LINE_COLOURS = ["#e08214", "#8073ac", "#35978f", "#bf812d", "#762a83"];
  let lo = 0;
  let hi = N;
  let selected = -1;
  let hover = -1;

  const fmtTime = (t) => new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");
  // The bar holding time t: the last bar opening at or before it.
  function barAt(t) {
    let a = 0;
    let b = N - 1;
    while (a < b) {
      const m = (a + b + 1) >> 1;
      if (B.t[m] <= t) a = m; else b = m - 1;
    }
    return a;
  }
  D.trades.forEach((tr) => {
    tr.entryBar = barAt(tr.entry_t);
    tr.exitBar = tr.exit_t === null ? null : barAt(tr.exit_t);
  });

  function surface(id) {
    const canvas = document.getElementById(id);
    const css = Number(canvas.getAttribute("height"));
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    canvas.width = width * dpr;
    canvas.height = css * dpr;
    canvas.style.height = css + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { canvas, ctx, w: width - 50, h: css };
  }
  const x = (s, i) => ((i - lo + 0.5) / (hi - lo)) * s.w;

  function range(seriesList, pad) {
    let min = Infinity;
    let max = -Infinity;
    for (const series of seriesList) {
      for (let i = lo; i < hi; i++) {
        const v = series[i];
        if (v !== null && v !== undefined) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
      }
    }
    if (!isFinite(min)) { min = 0; max = 1; }
    if (min === max) { min -= 1; max += 1; }
    const extra = (max - min) * pad;
    return [min - extra, max + extra];
  }
  function scale(s, min, max) {
    return (v) => 6 + (1 - (v - min) / (max - min)) * (s.h - 12);
  }
  function axis(s, min, max, digits) {
    const ctx = s.ctx;
    ctx.fillStyle = "#888";
    ctx.font = "10px system-ui";
    const y = scale(s, min, max);
    for (const v of [min, (min + max) / 2, max]) {
      ctx.fillText(v.toFixed(digits), s.w + 4, y(v) + 3);
    }
  }
  function line(s, series, y, colour, width) {
    const ctx = s.ctx;
    ctx.strokeStyle = colour;
    ctx.lineWidth = width || 1;
    ctx.beginPath();
    let on = false;
    for (let i = lo; i < hi; i++) {
      const v = series[i];
      if (v === null || v === undefined) { on = false; continue; }
      if (on) ctx.lineTo(x(s, i), y(v)); else ctx.moveTo(x(s, i), y(v));
      on = true;
    }
    ctx.stroke();
  }

  function drawPrice() {
    const s = surface("price");
    const ctx = s.ctx;
    const overlays = Object.values(D.overlays);
    const [min, max] = range([B.h, B.l, ...overlays], 0.03);
    const y = scale(s, min, max);
    const wide = s.w / (hi - lo);
    if (selected >= 0) {
      const tr = D.trades[selected];
      const end = tr.exitBar === null ? hi - 1 : tr.exitBar;
      ctx.fillStyle = "rgba(44,123,182,0.08)";
      ctx.fillRect(x(s, tr.entryBar) - wide / 2, 0, x(s, end) - x(s, tr.entryBar) + wide, s.h);
    }
    for (let i = lo; i < hi; i++) {
      const up = B.c[i] >= B.o[i];
      ctx.strokeStyle = ctx.fillStyle = up ? "#1a9850" : "#d73027";
      const cx = x(s, i);
      ctx.beginPath();
      ctx.moveTo(cx, y(B.h[i]));
      ctx.lineTo(cx, y(B.l[i]));
      ctx.lineWidth = 1;
      ctx.stroke();
      if (wide >= 3) {
        const top = y(Math.max(B.o[i], B.c[i]));
        const body = Math.max(1, Math.abs(y(B.o[i]) - y(B.c[i])));
        ctx.fillRect(cx - wide * 0.35, top, wide * 0.7, body);
      }
    }
    Object.keys(D.overlays).forEach((name, k) => {
      line(s, D.overlays[name], y, LINE_COLOURS[k % LINE_COLOURS.length], 1.2);
    });
    D.trades.forEach((tr, k) => {
      if (tr.entryBar >= lo && tr.entryBar < hi) {
        const cx = x(s, tr.entryBar);
        const cy = y(tr.entry_p);
        const dir = tr.side === "long" ? 1 : -1;
        ctx.fillStyle = tr.side === "long" ? "#1a9850" : "#d73027";
        ctx.beginPath();
        ctx.moveTo(cx, cy + 2 * dir);
        ctx.lineTo(cx - 5, cy + 10 * dir);
        ctx.lineTo(cx + 5, cy + 10 * dir);
        ctx.fill();
      }
      if (tr.exitBar !== null && tr.exitBar >= lo && tr.exitBar < hi) {
        const colour = D.colours[tr.reason] || "#555";
        ctx.beginPath();
        ctx.arc(x(s, tr.exitBar), y(tr.exit_p), k === selected ? 6 : 4, 0, 2 * Math.PI);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = colour;
        ctx.fillStyle = colour;
        if (tr.won) ctx.fill(); else ctx.stroke();
      }
    });
    axis(s, min, max, max < 10 ? 4 : 2);
    legendLine(s, Object.keys(D.overlays));
    cursor(s);
  }
  function legendLine(s, names) {
    const ctx = s.ctx;
    ctx.font = "11px system-ui";
    let left = 6;
    names.forEach((name, k) => {
      ctx.fillStyle = LINE_COLOURS[k % LINE_COLOURS.length];
      ctx.fillText(name, left, 12);
      left += ctx.measureText(name).width + 12;
    });
  }
  function cursor(s) {
    if (hover < lo || hover >= hi) return;
    const ctx = s.ctx;
    ctx.strokeStyle = "rgba(0,0,0,0.25)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x(s, hover), 0);
    ctx.lineTo(x(s, hover), s.h);
    ctx.stroke();
  }
  function drawOsc() {
    const s = surface("osc");
    const y = scale(s, 0, 100);
    const ctx = s.ctx;
    ctx.setLineDash([4, 3]);
    for (const level of D.levels) line(s, B.t.map(() => level), y, "#bbb", 1);
    ctx.setLineDash([]);
    Object.keys(D.oscillators).forEach((name) => line(s, D.oscillators[name], y, "#8073ac", 1.2));
    axis(s, 0, 100, 0);
    legendLine(s, Object.keys(D.oscillators));
    cursor(s);
  }
  function drawArea(id, series, colour, digits, title) {
    const s = surface(id);
    const [min, max] = range([series], 0.05);
    const y = scale(s, min, max);
    line(s, series, y, colour, 1.2);
    axis(s, min, max, digits);
    s.ctx.fillStyle = colour;
    s.ctx.font = "11px system-ui";
    s.ctx.fillText(title, 6, 12);
    cursor(s);
  }
  function draw() {
    drawPrice();
    drawOsc();
    drawArea("equity", D.equity, "#2c7bb6", 2, "equity (" + D.quote + ")");
    drawArea("dd", D.drawdown.map((v) => (v === null ? null : v * 100)), "#d73027", 2,
      "drawdown (%)");
  }

  function barUnder(event) {
    const rect = event.target.getBoundingClientRect();
    const w = rect.width - 50;
    return Math.min(hi - 1, Math.max(lo, lo + Math.floor(((event.clientX - rect.left) / w) * (hi - lo))));
  }
  function show(a, b) {
    const span = Math.max(10, b - a);
    lo = Math.max(0, Math.min(a, N - span));
    hi = Math.min(N, lo + span);
    draw();
  }
  let dragging = null;
  for (const canvas of document.querySelectorAll("canvas")) {
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const at = barUnder(event);
      const factor = event.deltaY > 0 ? 1.25 : 0.8;
      const span = Math.max(10, Math.min(N, Math.round((hi - lo) * factor)));
      const share = (at - lo) / (hi - lo);
      show(Math.round(at - share * span), Math.round(at - share * span) + span);
    }, { passive: false });
    canvas.addEventListener("mousedown", (event) => { dragging = { x: event.clientX, lo, hi }; });
    canvas.addEventListener("dblclick", () => { selected = -1; show(0, N); });
    canvas.addEventListener("mousemove", (event) => {
      hover = barUnder(event);
      const i = hover;
      const eq = D.equity[i] === null ? "" : `  equity ${D.equity[i].toFixed(2)}`;
      document.getElementById("tip").textContent =
        `${fmtTime(B.t[i])} UTC  open ${B.o[i]}  high ${B.h[i]}  low ${B.l[i]}  close ${B.c[i]}${eq}`;
      if (dragging) {
        const w = event.target.getBoundingClientRect().width - 50;
        const moved = Math.round(((dragging.x - event.clientX) / w) * (dragging.hi - dragging.lo));
        show(dragging.lo + moved, dragging.hi + moved);
      } else {
        draw();
      }
    });
  }
  window.addEventListener("mouseup", () => { dragging = null; });
  window.addEventListener("resize", draw);

  const body = document.getElementById("trades");
  D.trades.forEach((tr, k) => {
    const row = document.createElement("tr");
    const result = tr.exit_t === null ? "" : tr.won ? "won" : "lost";
    const cells = [tr.side, fmtTime(tr.entry_t), tr.entry, tr.qty,
      tr.exit_t === null ? "-" : fmtTime(tr.exit_t), tr.exit, tr.reason, tr.pnl];
    cells.forEach((text, c) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      if (c === 7 && result) cell.className = result;
      row.appendChild(cell);
    });
    row.addEventListener("click", () => {
      for (const other of body.children) other.classList.remove("on");
      row.classList.add("on");
      selected = k;
      const end = tr.exitBar === null ? N - 1 : tr.exitBar;
      const pad = Math.max(20, Math.round((end - tr.entryBar) * 1.5));
      show(tr.entryBar - pad, end + pad);
    });
    body.appendChild(row);
  });
  draw();
})();
