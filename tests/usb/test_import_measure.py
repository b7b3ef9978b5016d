"""How long the USB import takes, as ratios to baselines measured in the same run:

- scan of a stick holding 1,000 files (the most a listing allows) against a plain walk that
  opens and reads each of the same files whole;
- ingest throughput (MB/s) of photos (JPEG) and of PDFs against a plain read of the same files,
  and against the upload path (library.create) storing the same bytes, so what the import adds
  to an upload (re-reading from the stick, the checks before the first write, the audit) shows;
- the import of an OFD against that of the PDF it was made from (one page): the rendering's cost.

The bounds asserted are loose (CI may be loaded); the figures go to test-artifacts/usb-import.json
and are printed (pytest -s tests/usb/test_import_measure.py).
"""

import io
import json
import os
import time

from appliance.documents import library
from appliance.usb import importer
from tests.conftest import artifact_path
from tests.office.helpers import chinese_pdf


def noise_jpeg(side=900):
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def pdf_with_photo(jpeg):
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawImage(ImageReader(io.BytesIO(jpeg)), 40, 200, 500, 500)
    c.showPage()
    c.save()
    return out.getvalue()


def plain_read(paths):
    t = time.perf_counter()
    total = 0
    for p in paths:
        with open(p, "rb") as f:
            total += len(f.read())
    return time.perf_counter() - t, total


def best_of(n, fn):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def test_scan_of_a_thousand_files_and_ingest_throughput(tmp_path, store):
    figures = {}

    # -- scan: 1,000 small PDFs in one folder -------------------------------------------------
    many = tmp_path / "many"
    many.mkdir()
    pdf = chinese_pdf("关于召开区人大常委会第十次会议的通知")
    for i in range(1000):
        (many / f"{i:04d}.pdf").write_bytes(pdf)
    paths = [many / n for n in sorted(os.listdir(many))]

    def walk_and_read():
        with os.scandir(many) as it:
            for e in it:
                with open(e.path, "rb") as f:
                    f.read()

    plain = best_of(3, walk_and_read)
    scanned = best_of(3, lambda: importer.scan(many))
    found = importer.scan(many)
    assert len(found.importable) == 1000
    figures["scan_1000_files_s"] = round(scanned, 4)
    figures["plain_walk_and_read_1000_files_s"] = round(plain, 4)
    figures["scan_to_plain_ratio"] = round(scanned / plain, 2)
    assert scanned < 30, figures

    # -- ingest: photos and PDFs of ~1.5-2 MB ---------------------------------------------------
    for kind, count in (("jpeg", 6), ("pdf", 3)):
        stick = tmp_path / f"stick-{kind}"
        stick.mkdir()
        blobs = []
        for i in range(count):
            photo = noise_jpeg()
            data = photo if kind == "jpeg" else pdf_with_photo(photo)
            (stick / f"{i}.{'jpg' if kind == 'jpeg' else 'pdf'}").write_bytes(data)
            blobs.append(data)
        files = sorted(stick.iterdir())
        plain_s, total = min(plain_read(files) for _ in range(3))
        t = time.perf_counter()
        ids = importer.ingest(store, stick, [p.name for p in files], actor_id=None, target=importer.ToArchive())
        ingest_s = time.perf_counter() - t
        assert len(ids) == count
        t = time.perf_counter()
        for p, data in zip(files, blobs):
            library.create(store, None, "上传", p.name, data)
        upload_s = time.perf_counter() - t
        mb = total / 1e6
        figures[f"{kind}_files"] = count
        figures[f"{kind}_mb"] = round(mb, 2)
        figures[f"{kind}_ingest_mb_per_s"] = round(mb / ingest_s, 2)
        figures[f"{kind}_plain_read_mb_per_s"] = round(mb / plain_s, 1)
        figures[f"{kind}_upload_mb_per_s"] = round(mb / upload_s, 2)
        figures[f"{kind}_plain_read_to_ingest_ratio"] = round(ingest_s / plain_s, 1)
        figures[f"{kind}_ingest_to_upload_ratio"] = round(ingest_s / upload_s, 2)
        assert mb / ingest_s > 0.2, figures  # a 20 MB circular in under 100 s even on a loaded CI

    # -- an OFD against the PDF it was made from (the same page): the cost of the rendering ----
    from tests.usb.test_import import easyofd_ofd

    page = chinese_pdf("区人民政府关于2027年预算草案的函")
    stick = tmp_path / "stick-ofd"
    stick.mkdir()
    (stick / "a.pdf").write_bytes(page)
    (stick / "a.ofd").write_bytes(easyofd_ofd(page, tmp_path))
    times = {}
    for name in ("a.pdf", "a.ofd", "a.pdf", "a.ofd"):  # twice each, the best kept
        t = time.perf_counter()
        importer.ingest(store, stick, [name], actor_id=None, target=importer.ToArchive())
        times[name] = min(times.get(name, 1e9), time.perf_counter() - t)
    figures["ofd_ingest_s"] = round(times["a.ofd"], 2)
    figures["same_page_pdf_ingest_s"] = round(times["a.pdf"], 2)
    figures["ofd_to_pdf_ingest_ratio"] = round(times["a.ofd"] / times["a.pdf"], 1)
    assert times["a.ofd"] < 100, figures

    with open(artifact_path("usb-import.json"), "w") as f:
        json.dump(figures, f, indent=1)
    print("\nUSB import figures:", json.dumps(figures, indent=1))
