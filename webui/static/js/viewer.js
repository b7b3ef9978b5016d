// The document reader, on pdf.js's own viewer component (vendor/pdfjs/pdf_viewer.mjs): pages are
// rendered as they come into view and dropped again once far out of it (a 40-page document keeps
// a handful of canvases, not 40), with zoom, fit to width, a page number to jump to and a
// progress bar while the first page loads. The watermark (the reader's name and the time) is
// drawn onto every page canvas pdf.js renders. When staff replace the document, the server
// pushes "document.updated" and the reader swaps the new version in, on the same page.
//
// The contract with the annotation tools (annotate.js) and the presenter follower
// (reader-follow.js): once a document is loaded, window.YishiReader =
//   { eventBus, viewer, container, documentId, version, pageCount, goTo(page), setScale(s) }
// and a "yishi:reader" event is dispatched on window (again after a replacement). The eventBus
// is pdf.js's own: "pagesinit", "pagerendered", "pagechanging", "scalechanging" fire on it, also
// for an image (one page). Each page is a `.page[data-page-number]` div (position: relative) in
// #viewer. pdf.js empties a page div when it drops the page's canvas or re-renders it: an
// overlay put into it must be re-attached on "pagerendered".
import * as pdfjs from "../vendor/pdfjs/pdf.min.mjs";
import { follower } from "./reader-follow.js";

const box = document.getElementById("viewer");
const container = document.getElementById("viewer-container");
const vendor = box.dataset.vendor;
pdfjs.GlobalWorkerOptions.workerSrc = vendor + "pdf.worker.min.mjs";
globalThis.pdfjsLib = pdfjs; // pdf_viewer.mjs reads the library from here
const { EventBus, PDFLinkService, PDFViewer } = await import("../vendor/pdfjs/pdf_viewer.mjs");

const LARGE = document.documentElement.classList.contains("large");
const MAX_CANVAS_PIXELS = 4096 * 4096; // per page canvas; pdf.js renders coarser above it
const KEEP_RENDERED = 3;               // page canvases kept beyond the visible ones
const RANGE_CHUNK = 256 * 1024;        // bytes per range request
const MIN_SCALE = 0.25, MAX_SCALE = 6;

const $ = (id) => document.getElementById(id);
const progress = $("reader-progress");
const eventBus = new EventBus();
const linkService = new PDFLinkService({ eventBus });
let viewer = null;
let pdfDoc = null;
let loading = null;
let scaleChoice = null; // "page-width" or a number the reader chose; kept across a replacement

function watermark(ctx, width, height, text) {
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 0.13;
  ctx.fillStyle = "#9e1b1b";
  const size = Math.max(16, Math.round(width / 28));
  ctx.font = `${size}px "Noto Sans CJK SC", sans-serif`;
  ctx.translate(width / 2, height / 2);
  ctx.rotate(-Math.PI / 6);
  const step = size * 7;
  const advance = ctx.measureText(text).width + size * 3;
  for (let y = -height; y < height; y += step) {
    for (let x = -width; x < width; x += advance) {
      ctx.fillText(text, x, y);
    }
  }
  ctx.restore();
}

function setProgress(fraction) {
  const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
  progress.hidden = false;
  progress.setAttribute("aria-valuenow", String(pct));
  progress.firstElementChild.style.width = pct + "%"; // CSSOM, allowed by the CSP
}

function doneLoading() {
  progress.hidden = true;
}

function showZoom(scale) {
  $("zoom-value").textContent = Math.round(scale * 100) + "%";
}

function showPage(n, count) {
  const input = $("page-number");
  input.value = String(n);
  input.max = String(count);
  const label = $("page-count");
  label.textContent = label.dataset.template.replace("N", String(count));
}

function remember(n) {
  try { sessionStorage.setItem("reader-page:" + box.dataset.document, String(n)); } catch (e) { /* private mode */ }
}

function remembered() {
  try { return parseInt(sessionStorage.getItem("reader-page:" + box.dataset.document), 10) || 1; } catch (e) { return 1; }
}

// Keep memory bounded: pdf.js itself keeps up to 10 rendered pages; drop the canvases of pages
// far from the visible ones sooner (each is width × height × 4 bytes at the device pixel ratio).
function trim() {
  if (!viewer || !viewer.pagesCount) { return; }
  const visible = viewer._getVisiblePages();
  const keep = new Set(visible.ids);
  const current = viewer.currentPageNumber;
  const rendered = [];
  for (let i = 0; i < viewer.pagesCount; i++) {
    const pv = viewer.getPageView(i);
    if (pv && pv.renderingState !== 0 && !keep.has(pv.id)) { rendered.push(pv); }
  }
  if (rendered.length <= KEEP_RENDERED) { return; }
  rendered.sort((a, b) => Math.abs(b.id - current) - Math.abs(a.id - current));
  for (const pv of rendered.slice(0, rendered.length - KEEP_RENDERED)) { pv.reset(); }
}

function applyInitialScale() {
  if (typeof scaleChoice === "number") { viewer.currentScale = scaleChoice; return; }
  viewer.currentScaleValue = "page-width";
  if (LARGE) {
    // 大字: the page grows beyond the width (the reader pans sideways), text ~1.6× larger.
    viewer.currentScale = Math.min(MAX_SCALE, Math.max(1, viewer.currentScale * 1.6));
  }
}

function makeViewer() {
  viewer = new PDFViewer({
    container, viewer: box, eventBus, linkService,
    textLayerMode: 0,
    annotationMode: pdfjs.AnnotationMode.DISABLE,
    annotationEditorMode: pdfjs.AnnotationEditorType.DISABLE,
    maxCanvasPixels: MAX_CANVAS_PIXELS,
  });
  linkService.setViewer(viewer);
}

function publishContract() {
  window.YishiReader = Object.assign(window.YishiReader || {}, {
    eventBus, viewer, container,
    documentId: Number(box.dataset.document),
    version: Number(box.dataset.version),
    pageCount: Number(box.dataset.pages || 0),
    mime: box.dataset.mime,
    goTo, setScale,
  });
  window.dispatchEvent(new CustomEvent("yishi:reader", { detail: window.YishiReader }));
}

function goTo(n) {
  if (viewer && pdfDoc) {
    const page = Math.max(1, Math.min(viewer.pagesCount, Math.round(n)));
    viewer.currentPageNumber = page;
    return page;
  }
  return 1;
}

function setScale(s) {
  if (!viewer || !pdfDoc) { return; }
  if (s === "page-width") { viewer.currentScaleValue = "page-width"; } else {
    viewer.currentScale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, Number(s)));
  }
}

eventBus.on("pagerendered", (ev) => {
  const canvas = ev.source && ev.source.canvas;
  if (canvas && !ev.cssTransform && canvas.dataset.watermarked !== "1" && box.dataset.mime === "application/pdf") {
    watermark(canvas.getContext("2d"), canvas.width, canvas.height, box.dataset.watermark);
    canvas.dataset.watermarked = "1";
  }
  if (!box.dataset.firstPage) {
    box.dataset.firstPage = String(performance.now());
    doneLoading();
  }
  trim();
});
eventBus.on("pagechanging", (ev) => {
  showPage(ev.pageNumber, viewer ? viewer.pagesCount : 1);
  remember(ev.pageNumber);
  trim();
});
eventBus.on("scalechanging", (ev) => showZoom(ev.scale));

async function renderPdf(url, keepPage) {
  if (!viewer) { makeViewer(); }
  if (loading) { loading.destroy(); }
  loading = pdfjs.getDocument({
    url, isEvalSupported: false, withCredentials: true,
    cMapUrl: vendor + "cmaps/", cMapPacked: true,
    // Range requests: the first page does not wait for the whole file; the rest comes as read.
    rangeChunkSize: RANGE_CHUNK, disableAutoFetch: true, disableStream: true,
    length: Number(box.dataset.size) || undefined,
  });
  loading.onProgress = ({ loaded, total }) => { if (total) { setProgress(loaded / total); } };
  const doc = await loading.promise;
  const old = pdfDoc;
  pdfDoc = doc;
  const ready = new Promise((resolve) => eventBus.on("pagesinit", resolve, { once: true }));
  viewer.setDocument(doc);
  linkService.setDocument(doc, null);
  await ready;
  box.dataset.pages = String(doc.numPages);
  applyInitialScale();
  showPage(1, doc.numPages);
  const start = keepPage || (await follow.startPage()) || remembered();
  if (start > 1) { goTo(start); }
  if (old) { old.destroy(); }
}

// An image is one page: a `.page` div holding the watermarked canvas, with the same events.
async function renderImage(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  watermark(ctx, canvas.width, canvas.height, box.dataset.watermark);
  canvas.dataset.watermarked = "1";
  canvas.className = "image-page";
  const page = document.createElement("div");
  page.className = "page image";
  page.dataset.pageNumber = "1";
  page.appendChild(canvas);
  box.replaceChildren(page);
  box.dataset.pages = "1";
  pdfDoc = null;
  eventBus.dispatch("pagesinit", { source: null });
  eventBus.dispatch("pagerendered", { source: { id: 1, div: page, canvas }, pageNumber: 1, cssTransform: false, timestamp: performance.now() });
}

async function show(keepPage) {
  const url = box.dataset.src + "?v=" + box.dataset.version;
  delete box.dataset.firstPage;
  setProgress(0);
  try {
    if (box.dataset.mime === "application/pdf") { await renderPdf(url, keepPage); } else { await renderImage(url); }
    box.dataset.rendered = box.dataset.version;
    box.classList.remove("error");
    publishContract();
    follow.attach(window.YishiReader);
  } catch (e) {
    doneLoading();
    if (e && e.name === "AbortException") { return; }
    container.classList.add("error");
    box.replaceChildren(document.createTextNode(box.dataset.error));
  }
}

// Controls
$("zoom-in").addEventListener("click", () => { if (viewer && pdfDoc) { viewer.increaseScale(); scaleChoice = viewer.currentScale; } });
$("zoom-out").addEventListener("click", () => { if (viewer && pdfDoc) { viewer.decreaseScale(); scaleChoice = viewer.currentScale; } });
$("fit-width").addEventListener("click", () => { if (viewer && pdfDoc) { viewer.currentScaleValue = "page-width"; scaleChoice = "page-width"; } });
$("page-prev").addEventListener("click", () => { if (viewer && pdfDoc) { viewer.previousPage(); } });
$("page-next").addEventListener("click", () => { if (viewer && pdfDoc) { viewer.nextPage(); } });
$("page-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("page-number");
  const n = parseInt(input.value, 10);
  if (!viewer || !pdfDoc || !Number.isFinite(n)) { input.value = String(viewer ? viewer.currentPageNumber : 1); return; }
  input.value = String(goTo(n));
});
$("page-number").addEventListener("change", () => $("page-form").requestSubmit());
window.addEventListener("resize", () => {
  if (viewer && pdfDoc && (scaleChoice === null || scaleChoice === "page-width") && !LARGE) { viewer.currentScaleValue = "page-width"; }
});

// Live: a replaced version is swapped in on the same page; a recalled one is gone.
const topics = "/api/v1/events?document=" + box.dataset.document + (box.dataset.meeting ? "&meeting=" + box.dataset.meeting : "");
const events = new EventSource(topics);
const follow = follower(events, box);
events.addEventListener("document.updated", async (ev) => {
  const data = JSON.parse(ev.data);
  if (String(data.document) !== box.dataset.document) { return; }
  const info = await fetch("/api/v1/documents/" + data.document, { credentials: "same-origin" }).then((r) => r.json());
  const page = viewer && pdfDoc ? viewer.currentPageNumber : 1;
  box.dataset.mime = info.mime;
  box.dataset.version = String(info.version);
  box.dataset.size = String(info.size);
  await show(page);
  const label = $("version-label");
  label.textContent = label.dataset.template.replace("0", String(info.version));
  $("updated-banner").hidden = false;
});
events.addEventListener("recalled", () => { location.href = "/"; });

show();
