// The document reader: pdf.js (vendored, served locally) draws each page on a canvas, and a
// watermark with the reader's name and the time is drawn over every page. When staff replace
// the document, the server pushes "document.updated" and the reader reloads it in place.
import * as pdfjs from "../vendor/pdfjs/pdf.min.mjs";

const box = document.getElementById("viewer");
pdfjs.GlobalWorkerOptions.workerSrc = box.dataset.vendor + "pdf.worker.min.mjs";

function watermark(ctx, width, height, text) {
  ctx.save();
  ctx.globalAlpha = 0.13;
  ctx.fillStyle = "#9e1b1b";
  const size = Math.max(16, Math.round(width / 28));
  ctx.font = `${size}px "Noto Sans CJK SC", sans-serif`;
  ctx.translate(width / 2, height / 2);
  ctx.rotate(-Math.PI / 6);
  const step = size * 7;
  for (let y = -height; y < height; y += step) {
    for (let x = -width; x < width; x += ctx.measureText(text).width + size * 3) {
      ctx.fillText(text, x, y);
    }
  }
  ctx.restore();
}

async function renderPdf(url) {
  const doc = await pdfjs.getDocument({
    url, isEvalSupported: false, withCredentials: true,
    cMapUrl: box.dataset.vendor + "cmaps/", cMapPacked: true,
  }).promise;
  const pages = document.createDocumentFragment();
  const width = Math.min(box.clientWidth || 1000, 1400);
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const base = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: (width / base.width) * (window.devicePixelRatio || 1) });
    const canvas = document.createElement("canvas");
    canvas.className = "page";
    canvas.width = viewport.width;
    canvas.height = viewport.height;
    canvas.dataset.page = String(n);
    const ctx = canvas.getContext("2d");
    await page.render({ canvasContext: ctx, viewport }).promise;
    watermark(ctx, canvas.width, canvas.height, box.dataset.watermark);
    pages.appendChild(canvas);
  }
  box.replaceChildren(pages);
  box.dataset.pages = String(doc.numPages);
}

async function renderImage(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.className = "page";
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  watermark(ctx, canvas.width, canvas.height, box.dataset.watermark);
  box.replaceChildren(canvas);
  box.dataset.pages = "1";
}

async function show() {
  const url = box.dataset.src + "?t=" + Date.now();
  try {
    if (box.dataset.mime === "application/pdf") { await renderPdf(url); } else { await renderImage(url); }
    box.dataset.rendered = box.dataset.version;
  } catch (e) {
    box.textContent = box.dataset.error;
    box.classList.add("error");
  }
}

async function refresh(data) {
  if (String(data.document) !== box.dataset.document) { return; }
  const r = await fetch("/api/v1/documents/" + data.document, { credentials: "same-origin" });
  if (r.status === 403 || r.status === 404) { location.href = "/"; return; }  // recalled while the stream was away
  const info = await r.json();
  if (data.again && String(info.version) === box.dataset.version) { return; }
  box.dataset.mime = info.mime;
  box.dataset.version = String(info.version);
  await show();
  const label = document.getElementById("version-label");
  label.textContent = label.dataset.template.replace("0", String(info.version));
  document.getElementById("updated-banner").hidden = false;
}

// live.js: reconnects after any error; on a reconnect, the version is checked again.
window.YishiLive.connect("/api/v1/events?document=" + box.dataset.document, {
  "document.updated": refresh,
  recalled: () => { location.href = "/"; },
  connected: (again) => { if (again) { refresh({ document: box.dataset.document, again: true }); } },
});

show();
