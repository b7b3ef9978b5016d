// Annotations (批注) on the reader: pen (finger or stylus, with the pressure the pen reports),
// highlighter, text notes and an eraser, in #reader-tools; one overlay per page. Every finished
// stroke or note is sent to the server at once and lives only there (nothing in localStorage or
// any other storage of the tablet); the overlay is drawn from the server's list, so a reload,
// a zoom or a re-rendered page shows the same. Coordinates are fractions of the page (0..1).
//
// Built on the reader's contract (viewer.js): window.YishiReader and the "yishi:reader" event,
// pdf.js's eventBus ("pagerendered" re-attaches a page's overlay, which pdf.js removes when it
// empties the page div), `.page[data-page-number]` divs. Labels come with the list, in the
// reader's language (translation area "annotations").

const API = "/api/v1";
const COLOURS = { black: "#1a1a1a", red: "#c62828", blue: "#1565c0", green: "#2e7d32", yellow: "#f9d71c", pink: "#f06292" };
const TOOLS = ["read", "pen", "highlighter", "note", "eraser"];
const HIT_PX = 14;            // how near (CSS px) a tap must be to a stroke for the eraser
const SEND_ATTEMPTS = 3;

const state = {
  reader: null, docId: null, version: null, labels: null, classified: false, shareable: false,
  limits: { points: 4000, note: 1000 }, items: [], tool: "read", colour: { pen: "black", highlighter: "yellow", note: "yellow" },
  bus: null,
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) { continue; }
    if (k === "text") { e.textContent = v; } else if (k.startsWith("on")) { e.addEventListener(k.slice(2), v); } else { e.setAttribute(k, v === true ? "" : v); }
  }
  for (const c of children) { if (c !== null && c !== undefined) { e.append(c); } }
  return e;
}

function fmt(template, values) {
  return template.replace(/%\((\w+)\)[sd]/g, (_m, k) => String(values[k]));
}

async function call(method, url, body) {
  const opts = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const r = await fetch(url, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (!r.ok) {
    const err = new Error((data && data.error && data.error.message) || String(r.status));
    err.status = r.status; err.code = data && data.error && data.error.code;
    throw err;
  }
  return data;
}

// -- status line ---------------------------------------------------------------------------

let statusTimer = null;
function say(text, kind) {
  const s = document.getElementById("annot-status");
  if (!s) { return; }
  s.textContent = text;
  s.className = "annot-status " + (kind || "");
  clearTimeout(statusTimer);
  if (kind !== "error") { statusTimer = setTimeout(() => { s.textContent = ""; }, 2500); }
}

// -- the toolbar ---------------------------------------------------------------------------

function buildTools() {
  const L = state.labels;
  const tools = document.getElementById("reader-tools");
  tools.replaceChildren();
  tools.setAttribute("role", "group");
  tools.setAttribute("aria-label", L.tools);
  for (const t of TOOLS) {
    tools.append(el("button", { type: "button", class: "annot-tool", "data-tool": t, "aria-pressed": String(state.tool === t),
      onclick: () => setTool(t) }, el("span", { class: "annot-icon annot-icon-" + t, "aria-hidden": "true" }), el("span", { text: L[t] })));
  }
  const palette = el("div", { class: "annot-palette", id: "annot-palette", role: "radiogroup", "aria-label": L.colour });
  for (const c of Object.keys(COLOURS)) {
    const b = el("button", { type: "button", class: "annot-swatch", "data-colour": c, role: "radio", "aria-checked": "false",
      "aria-label": L.colours[c], title: L.colours[c], onclick: () => setColour(c) });
    b.style.setProperty("--swatch", COLOURS[c]);
    palette.append(b);
  }
  tools.append(palette);
  if (!state.classified) {
    tools.append(el("a", { class: "button annot-download", id: "annot-download", href: `${API}/documents/${state.docId}/annotated.pdf`,
      download: "" , text: L.download }));
  }
  tools.append(el("span", { id: "annot-status", class: "annot-status", role: "status", "aria-live": "polite" }));
  showToolState();
}

function setTool(t) {
  state.tool = t;
  showToolState();
  if (t === "eraser") { say(state.labels.erase_hint); } else if (t === "note") { say(state.labels.note_hint); }
}

function setColour(c) {
  if (state.tool in state.colour) { state.colour[state.tool] = c; }
  showToolState();
}

function showToolState() {
  for (const b of document.querySelectorAll("#reader-tools .annot-tool")) {
    b.setAttribute("aria-pressed", String(b.dataset.tool === state.tool));
  }
  const palette = document.getElementById("annot-palette");
  if (palette) {
    palette.hidden = !(state.tool in state.colour);
    for (const s of palette.querySelectorAll(".annot-swatch")) {
      s.setAttribute("aria-checked", String(s.dataset.colour === state.colour[state.tool]));
    }
  }
  const box = document.getElementById("viewer");
  box.classList.toggle("annot-active", state.tool !== "read");
  box.dataset.annotTool = state.tool;
}

// -- overlays ------------------------------------------------------------------------------

function pageDiv(n) {
  return document.querySelector(`#viewer .page[data-page-number="${n}"]`);
}

function layerOf(div) {
  let layer = div.querySelector(":scope > .annot-layer");
  if (!layer) {
    const n = Number(div.dataset.pageNumber);
    layer = el("div", { class: "annot-layer", "data-page": String(n) }, el("canvas", { class: "annot-ink" }), el("div", { class: "annot-notes" }));
    wireLayer(layer, n);
    div.append(layer);
  }
  return layer;
}

function sizeCanvas(layer) {
  const canvas = layer.querySelector("canvas.annot-ink");
  const w = layer.clientWidth, h = layer.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  const pw = Math.max(1, Math.round(w * dpr)), ph = Math.max(1, Math.round(h * dpr));
  if (canvas.width !== pw || canvas.height !== ph) { canvas.width = pw; canvas.height = ph; }
  return { canvas, w, h, dpr };
}

function drawStroke(ctx, a, w, h) {
  const pts = a.points;
  if (!pts || !pts.length) { return; }
  ctx.save();
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = COLOURS[a.colour] || "#000";
  const base = a.width * w;
  if (a.kind === "highlighter") {
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = base;
    ctx.beginPath();
    ctx.moveTo(pts[0][0] * w, pts[0][1] * h);
    for (const p of (pts.length > 1 ? pts.slice(1) : pts)) { ctx.lineTo(p[0] * w + (pts.length > 1 ? 0 : 0.01), p[1] * h); }
    ctx.stroke();
  } else {
    const seq = pts.length > 1 ? pts : [pts[0], pts[0]];
    for (let i = 1; i < seq.length; i++) {
      const pa = seq[i - 1][2] ?? 0.5, pb = seq[i][2] ?? 0.5;
      ctx.lineWidth = base * (0.4 + 1.2 * (pa + pb) / 2);
      ctx.beginPath();
      ctx.moveTo(seq[i - 1][0] * w, seq[i - 1][1] * h);
      ctx.lineTo(seq[i][0] * w + (seq.length === 2 && seq[0] === seq[1] ? 0.01 : 0), seq[i][1] * h);
      ctx.stroke();
    }
  }
  ctx.restore();
}

function redrawPage(n) {
  const div = pageDiv(n);
  if (!div) { return; }
  const layer = layerOf(div);
  const { canvas, w, h, dpr } = sizeCanvas(layer);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const mine = state.items.filter((a) => a.page === n);
  for (const a of mine) { if (a.kind !== "note") { drawStroke(ctx, a, w, h); } }
  if (layer._live) { drawStroke(ctx, layer._live, w, h); }
  const notes = layer.querySelector(".annot-notes");
  notes.replaceChildren();
  for (const a of mine) { if (a.kind === "note") { notes.append(noteMarker(a)); } }
  const older = [...new Set(mine.filter((a) => a.mine && a.written_on !== state.version).map((a) => a.written_on))].sort();
  if (older.length) {
    notes.append(el("span", { class: "annot-version", text: older.map((v) => fmt(state.labels.written_on, { v })).join(" · ") }));
  }
}

function redrawAll() {
  for (const div of document.querySelectorAll("#viewer .page[data-page-number]")) {
    if (div.querySelector("canvas:not(.annot-ink)") || div.classList.contains("image")) { redrawPage(Number(div.dataset.pageNumber)); }
  }
}

function noteMarker(a) {
  const L = state.labels;
  const m = el("button", { type: "button", class: "annot-note" + (a.mine ? "" : " others") + (a.shared ? " shared" : ""),
    "data-id": String(a.id), title: a.text,
    onclick: (ev) => { ev.stopPropagation(); if (state.tool === "eraser" && a.mine) { erase(a); } else { openEditor(a); } } },
  el("span", { class: "annot-note-text", text: a.text }));
  if (!a.mine) { m.append(el("span", { class: "annot-note-by", text: fmt(L.shared_by, { name: a.author }) })); } else if (a.shared) {
    m.append(el("span", { class: "annot-note-by", text: L.shared }));
  }
  if (a.written_on !== state.version) { m.append(el("span", { class: "annot-note-by", text: fmt(L.written_on, { v: a.written_on }) })); }
  m.style.left = (a.at[0] * 100) + "%";
  m.style.top = (a.at[1] * 100) + "%";
  m.style.setProperty("--note", COLOURS[a.colour]);
  return m;
}

// -- drawing -------------------------------------------------------------------------------

function norm(layer, ev) {
  const r = layer.getBoundingClientRect();
  const x = Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width));
  const y = Math.min(1, Math.max(0, (ev.clientY - r.top) / r.height));
  return [Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5];
}

function wireLayer(layer, n) {
  let active = null;   // the pointer drawing now
  let stroke = null;
  layer.addEventListener("pointerdown", (ev) => {
    const tool = state.tool;
    if (tool === "read" || ev.target.closest(".annot-note")) { return; }
    if (active !== null) { // a second finger: a pinch or a scroll, not writing
      cancel();
      return;
    }
    ev.preventDefault();
    if (tool === "note") { openEditor(null, n, norm(layer, ev)); return; }
    if (tool === "eraser") { eraseAt(layer, n, ev); return; }
    active = ev.pointerId;
    try { layer.setPointerCapture(ev.pointerId); } catch (e) { /* a synthetic pointer: no capture */ }
    stroke = { kind: tool, colour: state.colour[tool], width: tool === "pen" ? 0.003 : 0.02, page: n, points: [point(layer, ev)], pending: true };
    layer._live = stroke;
    redrawPage(n);
  });
  layer.addEventListener("pointermove", (ev) => {
    if (ev.pointerId !== active || !stroke) { return; }
    const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [ev];
    for (const e of (events.length ? events : [ev])) {
      if (stroke.points.length < state.limits.points) { stroke.points.push(point(layer, e)); }
    }
    redrawPage(n);
  });
  const finish = (ev) => {
    if (ev.pointerId !== active || !stroke) { return; }
    const done = stroke;
    active = null; stroke = null; layer._live = null;
    save(done);
  };
  const cancel = () => { active = null; stroke = null; layer._live = null; redrawPage(n); };
  layer.addEventListener("pointerup", finish);
  layer.addEventListener("pointercancel", cancel);
  layer._cancel = cancel;
}

function point(layer, ev) {
  const p = norm(layer, ev);
  // Only a pen's pressure means anything: a mouse reports 0.5 while pressed, a finger 0 or 1.
  if (ev.pointerType === "pen" && ev.pressure > 0) { p.push(Math.round(Math.min(1, ev.pressure) * 1000) / 1000); }
  return p;
}

async function save(stroke) {
  stroke.pending = true;
  state.items.push(stroke);
  redrawPage(stroke.page);
  say(state.labels.saving);
  const body = { page: stroke.page, kind: stroke.kind, colour: stroke.colour, points: stroke.points, width: stroke.width, version: state.version };
  for (let attempt = 1; ; attempt++) {
    try {
      const saved = await call("POST", `${API}/documents/${state.docId}/annotations`, body);
      Object.assign(stroke, saved, { pending: false });
      say(state.labels.saved, "ok");
      return;
    } catch (e) {
      if (e.status === undefined && attempt < SEND_ATTEMPTS) { await new Promise((r) => setTimeout(r, 800 * attempt)); continue; }
      state.items = state.items.filter((a) => a !== stroke);
      redrawPage(stroke.page);
      say(e.status === undefined ? state.labels.offline : fmt(state.labels.not_saved, { why: e.message }), "error");
      if (e.code === "replaced") { load(); }
      return;
    }
  }
}

// -- the eraser ----------------------------------------------------------------------------

function distance(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function eraseAt(layer, n, ev) {
  const r = layer.getBoundingClientRect();
  const px = ev.clientX - r.left, py = ev.clientY - r.top;
  let best = null, bestD = Infinity;
  for (const a of state.items) {
    if (a.page !== n || !a.mine || a.kind === "note" || a.pending) { continue; }
    const pts = a.points.length > 1 ? a.points : [a.points[0], a.points[0]];
    const reach = HIT_PX + (a.width * r.width) / 2;
    for (let i = 1; i < pts.length; i++) {
      const d = distance(px, py, pts[i - 1][0] * r.width, pts[i - 1][1] * r.height, pts[i][0] * r.width, pts[i][1] * r.height);
      if (d < reach && d < bestD) { best = a; bestD = d; }
    }
  }
  if (best) { erase(best, true); }
}

async function erase(a, quiet) {
  if (!quiet && !window.confirm(state.labels.confirm_delete)) { return; }
  try {
    await call("DELETE", `${API}/annotations/${a.id}`);
    state.items = state.items.filter((x) => x !== a);
    redrawPage(a.page);
  } catch (e) {
    say(fmt(state.labels.not_saved, { why: e.message }), "error");
  }
}

// -- notes ---------------------------------------------------------------------------------

function closeEditor() {
  const d = document.getElementById("annot-editor");
  if (d) { d.remove(); }
}

function openEditor(a, page, at) {
  const L = state.labels;
  closeEditor();
  const mine = !a || a.mine;
  const text = el("textarea", { id: "annot-text", rows: "5", maxlength: String(state.limits.note), placeholder: L.placeholder, readonly: !mine });
  text.value = a ? a.text : "";
  const share = el("input", { type: "checkbox", id: "annot-share" });
  share.checked = a ? a.shared : false;
  const meta = [];
  if (a && !a.mine) { meta.push(fmt(L.shared_by, { name: a.author })); }
  if (a && a.written_on !== state.version) { meta.push(fmt(L.written_on, { v: a.written_on })); }
  const actions = el("div", { class: "annot-editor-actions" });
  if (mine) {
    actions.append(el("button", { type: "button", class: "primary", id: "annot-save", text: L.save, onclick: () => submitNote(a, page, at, text.value, share.checked) }));
    if (a) { actions.append(el("button", { type: "button", class: "danger", id: "annot-delete", text: L.delete, onclick: () => { closeEditor(); erase(a); } })); }
  }
  actions.append(el("button", { type: "button", id: "annot-cancel", text: L.cancel, onclick: closeEditor }));
  const dialog = el("div", { id: "annot-editor", class: "annot-editor card", role: "dialog", "aria-label": L.note },
    meta.length ? el("p", { class: "muted", text: meta.join(" · ") }) : null,
    text,
    mine && state.shareable ? el("label", { class: "check annot-share", for: "annot-share" }, share, el("span", { text: L.share })) : null,
    el("p", { class: "annot-editor-error", id: "annot-editor-error", role: "alert" }),
    actions);
  document.body.append(dialog);
  text.focus();
}

async function submitNote(a, page, at, text, shared) {
  const err = document.getElementById("annot-editor-error");
  try {
    if (a) {
      const saved = await call("PATCH", `${API}/annotations/${a.id}`, { text, shared });
      Object.assign(a, saved);
      redrawPage(a.page);
    } else {
      const colour = state.colour.note;
      const saved = await call("POST", `${API}/documents/${state.docId}/annotations`,
        { page, kind: "note", at, text, colour, shared, version: state.version });
      state.items.push(saved);
      redrawPage(page);
    }
    closeEditor();
    say(state.labels.saved, "ok");
  } catch (e) {
    err.textContent = e.status === undefined ? state.labels.offline : e.message;
    if (e.code === "replaced") { load(); }
  }
}

// -- loading -------------------------------------------------------------------------------

async function load() {
  const r = window.YishiReader;
  state.reader = r;
  state.docId = r.documentId;
  const data = await call("GET", `${API}/documents/${state.docId}/annotations`);
  const first = !state.labels;
  state.labels = data.labels;
  state.version = data.version;
  state.classified = data.classified;
  state.shareable = data.shareable;
  state.limits = data.limits;
  state.items = data.annotations;
  if (first) { buildTools(); }
  document.getElementById("viewer").dataset.annotations = String(state.items.length);
  redrawAll();
}

function attach(reader) {
  if (state.bus !== reader.eventBus) {
    state.bus = reader.eventBus;
    reader.eventBus.on("pagerendered", (ev) => {
      if (state.labels && ev.pageNumber) { redrawPage(ev.pageNumber); }
    });
  }
  closeEditor();
  load().catch((e) => say(fmt((state.labels || { not_saved: "%(why)s" }).not_saved, { why: e.message }), "error"));
}

const link = document.createElement("link");
link.rel = "stylesheet";
link.href = new URL("../css/annotate.css", import.meta.url).href;
document.head.append(link);

window.addEventListener("yishi:reader", (ev) => attach(ev.detail));
if (window.YishiReader && window.YishiReader.eventBus) { attach(window.YishiReader); }
