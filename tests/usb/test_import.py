"""收文 from a USB stick (appliance/usb/importer.py) on a folder standing in for the mounted stick,
into a real encrypted store.

Found and imported: a PDF, an OFD made by easyofd's own PDF→OFD writer (not by our code), a JPEG
and a PNG; each document's bytes read back from the store equal the file's (the OFD's original
too, beside the PDF it became); a text OFD laid out as GB/T 33190 says keeps its Chinese text.
Bad inputs tried, each refused or neutralised with a message in Chinese and English and nothing
stored: an ELF program named 通知.pdf, a zip bomb named .ofd (by size, by member count, by a
directory declaring 4 billion members, by sizes that lie), an OFD with a '..' member, a zip that
is no OFD, 10,000 files, names with backslashes, '../'-looking text, control characters, a bidi
override, zero-width characters and bytes that are not UTF-8, refs with '../' or an absolute
path given straight to ingest, links out of the stick (file, folder, the stick's top itself), a
FIFO, an oversized file (sparse, 50 MB + 1) and an import over its total bound, an image bomb, a
damaged image, a damaged PDF, an empty file, a file swapped for a program or removed between
listing and import, a file written to while it is read, a good file chosen together with a bad
one, and modules planted beside the OFD child's work folder.
"""

import contextlib
import hashlib
import io
import os
import shutil
import struct
import subprocess
import zipfile
import zlib

import pytest
from flask import Flask
from flask_babel import force_locale

import webui
from appliance import i18n
from appliance.devices import people
from appliance.documents import library
from appliance.errors import UserError
from appliance.store import audit
from appliance.usb import importer, ofd
from tests.conftest import PASSPHRASE, YISHI
from tests.office.helpers import chinese_pdf

PDF_LINE = "关于召开区人大常委会第十次会议的通知"


def in_locale(message, locale):
    app = Flask("t")
    i18n.init_app(app, webui.translation_dirs())
    with app.app_context(), force_locale(locale):
        return str(message)


def easyofd_ofd(pdf, workdir):
    """An OFD written by easyofd (its PDF→OFD), the tool that makes it not being ours. Its
    writer keeps its pieces in ./test of the current folder, hence `workdir`."""
    from easyofd.ofd import OFD
    from loguru import logger

    logger.remove()
    here = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return OFD().pdf2ofd(pdf)
    finally:
        os.chdir(here)


def jpeg_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", quality=90)
    return out.getvalue()


def png_bytes():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 90, 200)).save(out, "PNG")
    return out.getvalue()


def png_claiming(width, height):
    """A well-formed PNG whose header claims width x height pixels (tiny on disk)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def zip_bytes(members, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


def elf_bytes():
    with open(shutil.which("true"), "rb") as f:  # a real program of this machine
        data = f.read()
    assert data.startswith(b"\x7fELF")
    return data


def documents(store):
    return store.scalar("SELECT count(*) FROM documents")


def stored_bytes(store, document_id):
    doc = library.get(store, document_id)
    return b"".join(library.stream(store, doc["current_version"]))


@pytest.fixture
def stick(tmp_path):
    d = tmp_path / "stick"
    d.mkdir()
    return d


@pytest.fixture
def staff(store):
    return people.create(store, None, "王秘书", ["staff"], username="wang", password="correct-horse-9")


@pytest.fixture
def leader(store):
    return people.create(store, None, "李主任", ["leader"], username="li", password="correct-horse-9")


def refused(store, stick, ref, code, **kw):
    """Importing `ref` is refused with usb_<code>, in both languages, and stores nothing."""
    before, entries = documents(store), store.scalar("SELECT count(*) FROM audit")
    with pytest.raises(UserError) as e:
        importer.ingest(store, stick, [ref], actor_id=None, target=importer.ToArchive(), **kw)
    assert e.value.code == f"usb_{code}", (ref, e.value.code)
    zh, en = in_locale(e.value.message, "zh_CN"), in_locale(e.value.message, "en")
    assert "未导入任何文件" in zh and "Nothing was imported" in en, (zh, en)
    assert documents(store) == before and store.scalar("SELECT count(*) FROM audit") == entries
    return zh, en


# ---- the four kinds, found and imported --------------------------------------------------------

def test_pdf_ofd_jpeg_png_are_found_by_content_and_imported_byte_for_byte(store, stick, staff, tmp_path_factory):
    pdf = chinese_pdf(PDF_LINE)
    the_ofd = easyofd_ofd(chinese_pdf("区人民政府关于2027年预算草案的函"), tmp_path_factory.mktemp("easyofd"))
    jpeg, png = jpeg_bytes(), png_bytes()
    (stick / "来文").mkdir()
    (stick / "来文" / "通知.pdf").write_bytes(pdf)
    (stick / "预算函.ofd").write_bytes(the_ofd)
    (stick / "scan.jpg").write_bytes(jpeg)
    (stick / "图表").write_bytes(png)  # no extension: the content says PNG
    (stick / ".Trashes").mkdir()  # what macOS leaves: not listed
    (stick / "System Volume Information").mkdir()

    found = importer.scan(stick)
    kinds = {c.ref: c.kind for c in found.importable}
    assert kinds == {"来文/通知.pdf": "pdf", "预算函.ofd": "ofd", "scan.jpg": "jpeg", "图表": "png"}
    assert not found.refused
    shown = {c.ref: (c.name, c.path, c.size) for c in found.candidates}
    assert shown["来文/通知.pdf"] == ("通知.pdf", "来文 / 通知.pdf", len(pdf))

    stick_facts = {"vendor": "Kingston", "serial": "0019E06B", "label": "收文"}
    ids = importer.ingest(store, stick, found.importable, actor_id=staff.id, target=importer.ToArchive("收文"),
                          stick=stick_facts)
    assert len(ids) == 4
    by_ref = dict(zip([c.ref for c in found.importable], ids))
    assert stored_bytes(store, by_ref["来文/通知.pdf"]) == pdf
    assert stored_bytes(store, by_ref["scan.jpg"]) == jpeg
    assert stored_bytes(store, by_ref["图表"]) == png
    assert library.get(store, by_ref["图表"])["mime"] == "image/png"
    assert library.get(store, by_ref["图表"])["filename"] == "图表.png"
    assert library.get(store, by_ref["来文/通知.pdf"])["title"] == "通知"

    # The OFD: the reader gets a PDF with its page; the original is kept, byte for byte.
    ofd_doc = library.get(store, by_ref["预算函.ofd"])
    assert ofd_doc["mime"] == "application/pdf" and ofd_doc["pages"] == 1 and ofd_doc["filename"] == "预算函.pdf"
    rendered = stored_bytes(store, ofd_doc["id"])
    assert rendered.startswith(b"%PDF-")
    kept = importer.original(store, staff, ofd_doc["id"])
    assert kept["filename"] == "预算函.ofd" and kept["mime"] == "application/ofd"
    assert b"".join(importer.stream_original(store, kept["version_id"])) == the_ofd
    assert kept["sha256"] == hashlib.sha256(the_ofd).hexdigest()
    assert importer.original(store, staff, by_ref["scan.jpg"]) is None
    # The page the OFD carries is drawn: pdftoppm renders it with ink on it.
    page = subprocess.run(["pdftoppm", "-r", "30", "-gray", "-"], input=rendered, capture_output=True,
                          check=True).stdout
    pixels = page.split(b"\n", 3)[3]
    assert min(pixels) < 128, "the rendered page is blank"

    # Filed in the archive under the category, and audited with the stick and each file's hash.
    cats = {r[0] for r in store.all("SELECT category FROM archive_entries WHERE document_id IN (?,?,?,?)", ids)}
    assert cats == {"收文"}
    import json
    logged = [json.loads(r[0]) for r in store.all("SELECT detail FROM audit WHERE action = 'usb.import' ORDER BY seq")]
    assert [d["document"] for d in logged] == ids
    assert {d["sha256"] for d in logged} == {hashlib.sha256(b).hexdigest() for b in (pdf, the_ofd, jpeg, png)}
    assert all(d["stick"] == stick_facts for d in logged)
    assert store.all("SELECT DISTINCT actor FROM audit WHERE action = 'usb.import'")[0][0] == str(staff.id)
    assert audit.verify(store).ok


def text_ofd(line):
    """A minimal OFD with one line of text in 宋体, laid out as GB/T 33190 says (our own
    writing, unlike easyofd's, whose OFD carries its page as an image): the kind a government
    document system sends, whose text must survive the rendering."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return zip_bytes([
        ("OFD.xml", f'{head}<ofd:OFD {ns} Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1'
                    '</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>'),
        ("Doc_0/Document.xml", f'{head}<ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>10</ofd:MaxUnitID>'
                               '<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
                               '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>'
                               '<ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'),
        ("Doc_0/PublicRes.xml", f'{head}<ofd:Res {ns} BaseLoc="Res"><ofd:Fonts><ofd:Font ID="3" FontName="宋体" '
                                'FamilyName="宋体"/></ofd:Fonts></ofd:Res>'),
        ("Doc_0/Pages/Page_0/Content.xml", f'{head}<ofd:Page {ns}><ofd:Content><ofd:Layer ID="4"><ofd:TextObject '
                                           'ID="5" Font="3" Size="5" Boundary="20 20 170 10"><ofd:FillColor '
                                           f'Value="0 0 0"/><ofd:TextCode X="0" Y="5" DeltaX="g {len(line) - 1} 5">'
                                           f'{line}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>'),
    ])


def test_the_text_of_an_ofd_survives_its_rendering_in_a_chinese_font(store, stick):
    (stick / "通知.ofd").write_bytes(text_ofd(PDF_LINE))
    [doc_id] = importer.ingest(store, stick, ["通知.ofd"], actor_id=None, target=importer.ToArchive())
    rendered = stored_bytes(store, doc_id)
    text = subprocess.run(["pdftotext", "-", "-"], input=rendered, capture_output=True, check=True).stdout.decode()
    assert PDF_LINE in text, text
    fonts = subprocess.run(["pdffonts", "-"], input=rendered, capture_output=True, check=True).stdout.decode()
    assert "WenQuanYi" in fonts, fonts  # the appliance's CJK font, embedded
    # Its text is read as any PDF's is, and the archive finds the OFD by a word in it.
    from appliance.documents import text_jobs
    from appliance.office import archive

    admin = people.create(store, None, "管理员", ["admin"], username="root1", password="correct-horse-9")
    text_jobs.run_pending(store)
    assert "第十次会议" in library.text(store, doc_id)
    found = archive.search(store, admin, "第十次会议")
    assert [r["document_id"] for r in found["results"]] == [doc_id]


def test_the_ofd_child_imports_nothing_from_beside_its_work_folder(store, stick, tmp_path, monkeypatch):
    """easyofd puts its cwd and ".." first on sys.path: with the work folder straight in a shared
    folder (/dev/shm), a module someone left there would run in the child."""
    shared = tmp_path / "shm"
    shared.mkdir()
    marker = tmp_path / "ran"
    for module in ("fitz", "xmltodict", "pyasn1"):
        (shared / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write({module!r})\n")
    monkeypatch.setattr(importer, "WORK_PARENT", str(shared))
    (stick / "通知.ofd").write_bytes(text_ofd(PDF_LINE))
    [doc_id] = importer.ingest(store, stick, ["通知.ofd"], actor_id=None, target=importer.ToArchive())
    assert not marker.exists(), marker.read_text()
    assert stored_bytes(store, doc_id).startswith(b"%PDF-")
    assert sorted(os.listdir(shared)) == ["fitz.py", "pyasn1.py", "xmltodict.py"]  # its work folder is gone


def test_import_into_a_new_circulation_goes_to_the_leaders(store, stick, staff, leader):
    (stick / "函.pdf").write_bytes(chinese_pdf(PDF_LINE))
    [doc_id] = importer.ingest(store, stick, ["函.pdf"], actor_id=staff.id,
                               target=importer.ToCirculation("区政府来函", note="请阅示"))
    circ = store.one("SELECT * FROM circulations WHERE document_id = ?", (doc_id,))
    assert circ["title"] == "区政府来函" and circ["sender_id"] == staff.id and circ["note"] == "请阅示"
    assert [r[0] for r in store.all("SELECT person_id FROM circulation_recipients WHERE circulation_id = ?",
                                    (circ["id"],))] == [leader.id]
    # Without a sender there is no circulation, and nothing is stored.
    before = documents(store)
    with pytest.raises(UserError) as e:
        importer.ingest(store, stick, ["函.pdf"], actor_id=None, target=importer.ToCirculation("区政府来函"))
    assert e.value.code == "usb_no_actor" and documents(store) == before


# ---- refused by content ------------------------------------------------------------------------

def test_a_program_named_pdf_is_refused_as_a_program(store, stick):
    (stick / "通知.pdf").write_bytes(elf_bytes())
    [c] = importer.scan(stick).candidates
    assert (c.kind, c.refusal) == (None, "program")
    assert "程序" in in_locale(c.reason(), "zh_CN") and "program" in in_locale(c.reason(), "en")
    zh, _ = refused(store, stick, "通知.pdf", "program")
    assert zh.startswith("通知.pdf：")


def test_a_zip_bomb_named_ofd_is_refused_before_anything_parses_it(store, stick):
    zeros = b"\0" * (300 * 1024 * 1024)
    bomb = zip_bytes([("OFD.xml", b"<ofd:OFD/>"), ("Doc_0/Res/x.bin", zeros)])
    del zeros
    assert len(bomb) < 1024 * 1024
    (stick / "bomb.ofd").write_bytes(bomb)
    many = zip_bytes([("OFD.xml", b"<x/>")] + [(f"Doc_0/{i}.xml", b"") for i in range(6000)], zipfile.ZIP_STORED)
    (stick / "many.ofd").write_bytes(many)
    climbing = zip_bytes([("OFD.xml", b"<x/>"), ("../../etc/cron.d/x", b"* * * * * root true")])
    (stick / "climb.ofd").write_bytes(climbing)
    (stick / "photos.ofd").write_bytes(zip_bytes([("a.jpg", jpeg_bytes())]))
    found = {c.ref: c.refusal for c in importer.scan(stick).candidates}
    assert found == {"bomb.ofd": "zip_bomb", "many.ofd": "zip_bomb", "climb.ofd": "zip_bad",
                     "photos.ofd": "zip_not_ofd"}
    for ref, code in found.items():
        refused(store, stick, ref, code)
    # The child that renders applies the guard itself (a caller that skipped it cannot skip it).
    with pytest.raises(UserError) as e:
        importer.render_ofd(bomb)
    assert e.value.code == "usb_zip_bomb"


def test_a_zip_whose_declared_sizes_lie_is_caught_when_inflated():
    data = zip_bytes([("OFD.xml", b"<x/>"), ("Doc_0/big.xml", b"a" * (4 * 1024 * 1024))])
    small = ofd.ZipLimits(total=1024 * 1024, floor=1024 * 1024)
    # Rewrite the big member's declared size (local header and central directory) to 10 bytes.
    real = struct.pack("<I", 4 * 1024 * 1024)
    lying = data.replace(real, struct.pack("<I", 10))
    assert lying.count(struct.pack("<I", 10)) >= 2
    assert ofd.zip_problem(lying, small, inflate=False) is None  # the directory alone looks harmless
    assert ofd.zip_problem(lying, small, inflate=True) in ("bomb", "not_zip")
    assert ofd.zip_problem(data, small, inflate=False) == "bomb"
    # A directory that declares more members than allowed is refused before it is read.
    end = data.rfind(b"PK\x05\x06")
    huge = data[:end + 8] + b"\xff\xff\xff\xff" + data[end + 12:]
    assert ofd.zip_problem(huge, inflate=False) == "members"
    assert ofd.zip_problem(b"PK\x03\x04" + os.urandom(100)) == "not_zip"


def test_unknown_empty_special_and_image_files_are_refused(store, stick):
    (stick / "readme.txt").write_text("不是文档")
    (stick / "empty.pdf").write_bytes(b"")
    os.mkfifo(stick / "pipe.pdf")
    (stick / "huge.png").write_bytes(png_claiming(30000, 30000))
    (stick / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(200))
    found = {c.ref: (c.kind, c.refusal) for c in importer.scan(stick).candidates}
    assert found["readme.txt"] == (None, "unknown")
    assert found["empty.pdf"] == (None, "empty")
    assert found["pipe.pdf"] == (None, "special")
    for ref, code in (("readme.txt", "unknown"), ("empty.pdf", "empty"), ("pipe.pdf", "special"),
                      ("huge.png", "image_bomb"), ("broken.jpg", "image_bad")):
        refused(store, stick, ref, code)


def test_an_oversized_file_is_refused_without_being_read(store, stick):
    with open(stick / "big.pdf", "wb") as f:
        f.write(b"%PDF-1.7\n")
        f.truncate(importer.Limits().file_bytes + 1)  # sparse: 50 MB + 1 byte
    [c] = importer.scan(stick).candidates
    assert c.refusal == "too_big" and c.size == importer.Limits().file_bytes + 1
    assert "50 MB" in in_locale(c.reason(), "zh_CN") and "50 MB" in in_locale(c.reason(), "en")
    refused(store, stick, "big.pdf", "too_big")
    # And a smaller bound, for the whole of one import.
    (stick / "a.pdf").write_bytes(chinese_pdf(PDF_LINE))
    (stick / "b.pdf").write_bytes(chinese_pdf(PDF_LINE + "（二）"))
    tight = importer.Limits(total_bytes=os.path.getsize(stick / "a.pdf") + 10)
    before = documents(store)
    with pytest.raises(UserError) as e:
        importer.ingest(store, stick, ["a.pdf", "b.pdf"], actor_id=None, target=importer.ToArchive(), limits=tight)
    assert e.value.code == "usb_import_too_large" and documents(store) == before


# ---- bounded listing ---------------------------------------------------------------------------

def test_ten_thousand_files_are_refused_with_a_clear_message(store, stick):
    (stick / "a").mkdir()
    for i in range(10_000):
        (stick / "a" / f"{i}.pdf").touch()
    with pytest.raises(UserError) as e:
        importer.scan(stick)
    assert e.value.code == "usb_too_many_files"
    assert "超过 1000 个" in in_locale(e.value.message, "zh_CN")
    assert "more than 1000 files" in in_locale(e.value.message, "en")
    assert documents(store) == 0


def test_deep_folders_are_not_entered(stick):
    deep = stick
    for i in range(12):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "x.pdf").write_bytes(chinese_pdf(PDF_LINE))
    found = importer.scan(stick, limits=importer.Limits(depth=3))
    assert [(c.ref, c.refusal) for c in found.candidates] == [("d0/d1/d2/d3", "too_deep")]


# ---- names and links ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"..\\..\\etc\\passwd.pdf",
    b"..%2F..%2Fx.pdf",
    "\u202egpj.pdf".encode(),
    b"\x1b[2J\x1b[31mred\x07.pdf",
    b"line\nbreak\r.pdf",
    b"\xff\xfe\xb0\xa1.pdf",  # GBK bytes, not UTF-8
    "零宽\u200b空格\u2066.pdf".encode(),
])
def test_hostile_names_are_shown_harmless_and_never_become_paths(store, stick, tmp_path, raw):
    pdf = chinese_pdf(PDF_LINE)
    with open(os.path.join(os.fsencode(stick), raw), "wb") as f:
        f.write(pdf)
    [c] = importer.scan(stick).candidates
    assert c.kind == "pdf"
    for shown in (c.name, c.path):
        assert not any(ch in shown for ch in "/\\\n\r\x1b\x07\u202e\u200b\u2066"), repr(shown)
        assert all(ch.isprintable() for ch in shown), repr(shown)
    listing = sorted(os.listdir(tmp_path))
    [doc_id] = importer.ingest(store, stick, [c], actor_id=None, target=importer.ToArchive())
    assert stored_bytes(store, doc_id) == pdf
    doc = library.get(store, doc_id)
    for stored in (doc["title"], doc["filename"]):
        assert all(ch.isprintable() and ch not in "/\\" for ch in stored), repr(stored)
    assert sorted(os.listdir(tmp_path)) == listing  # nothing was written beside the stick


@pytest.mark.parametrize("ref", ["../outside.pdf", "sub/../../outside.pdf", "/etc/passwd", "./a.pdf", "", "a\0b"])
def test_refs_that_climb_out_are_refused(store, stick, tmp_path, ref):
    (tmp_path / "outside.pdf").write_bytes(chinese_pdf(PDF_LINE))
    (stick / "sub").mkdir()
    refused(store, stick, ref, "gone")


def test_links_out_of_the_stick_are_listed_as_links_and_never_followed(store, stick, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pdf").write_bytes(chinese_pdf("机密"))
    (stick / "link.pdf").symlink_to(outside / "secret.pdf")
    (stick / "folder").symlink_to(outside)
    (stick / "passwd.pdf").symlink_to("/etc/passwd")
    found = {c.ref: c.refusal for c in importer.scan(stick).candidates}
    assert found == {"folder": "link", "link.pdf": "link", "passwd.pdf": "link"}
    refused(store, stick, "link.pdf", "link")
    refused(store, stick, "folder/secret.pdf", "link")
    # The stick's own top folder given as a link is not followed either.
    (tmp_path / "stick-link").symlink_to(stick)
    with pytest.raises(UserError) as e:
        importer.scan(tmp_path / "stick-link")
    assert e.value.code == "usb_no_folder"


# ---- checked again at import -------------------------------------------------------------------

def test_a_file_swapped_after_listing_is_checked_again(store, stick):
    (stick / "通知.pdf").write_bytes(chinese_pdf(PDF_LINE))
    [c] = importer.scan(stick).importable
    (stick / "通知.pdf").write_bytes(elf_bytes())
    refused(store, stick, c, "program")
    (stick / "通知.pdf").unlink()
    refused(store, stick, c, "gone")


def test_a_file_written_to_while_it_is_read_is_refused(store, stick, monkeypatch):
    path = stick / "通知.pdf"
    path.write_bytes(chinese_pdf(PDF_LINE))
    real = importer._read_bounded

    def read_then_append(fd, limit):  # the sending PC still writing to the stick
        data = real(fd, limit)
        with open(path, "ab") as f:
            f.write(b"%%EOF more\n")
        return data

    monkeypatch.setattr(importer, "_read_bounded", read_then_append)
    zh, en = refused(store, stick, "通知.pdf", "changed")
    assert "发生了变化" in zh and "changed" in en


def test_one_bad_file_among_good_ones_stores_nothing(store, stick):
    (stick / "a.pdf").write_bytes(chinese_pdf(PDF_LINE))
    (stick / "b.pdf").write_bytes(elf_bytes())
    (stick / "c.png").write_bytes(png_bytes())
    [keep] = importer.ingest(store, stick, ["c.png"], actor_id=None, target=importer.ToArchive())
    before = documents(store)
    with pytest.raises(UserError) as e:
        importer.ingest(store, stick, ["a.pdf", "b.pdf", "c.png"], actor_id=None, target=importer.ToArchive())
    assert e.value.code == "usb_program" and e.value.details["file"] == "b.pdf"
    assert documents(store) == before
    # A PDF that only the store's own PDF check finds bad (damaged inside) stores nothing either.
    (stick / "b.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n" + os.urandom(4000))
    with pytest.raises(UserError) as e:
        importer.ingest(store, stick, ["a.pdf", "b.pdf"], actor_id=None, target=importer.ToArchive())
    assert e.value.code == "usb_bad_pdf", e.value.code
    assert "未导入任何文件" in in_locale(e.value.message, "zh_CN") and "damaged" in in_locale(e.value.message, "en")
    assert documents(store) == before
    assert stored_bytes(store, keep) == png_bytes()  # what was stored before is untouched


# ---- the command ---------------------------------------------------------------------------------

def test_the_cli_lists_the_stick_and_imports_the_chosen_files(tmp_path, data_dir, stick):
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE)
    (stick / "通知.pdf").write_bytes(chinese_pdf(PDF_LINE))
    (stick / "evil.pdf").write_bytes(elf_bytes())
    base = [YISHI, "usb-import", "--data", data_dir, "--passphrase-file", str(pass_file), "--from", str(stick)]

    listed = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "通知.pdf" in listed.stdout and "evil.pdf" in listed.stdout
    assert "这是程序而不是文档" in listed.stdout and "This is a program" in listed.stdout

    bad = subprocess.run(base + ["--file", "evil.pdf"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "未导入任何文件" in bad.stderr and "Nothing was imported" in bad.stderr and "Traceback" not in bad.stderr

    missing = subprocess.run(base + ["--file", "nope.pdf"], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no such file on the stick" in missing.stderr

    done = subprocess.run(base + ["--all", "--category", "来文"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "imported 1 file(s)" in done.stdout

    from appliance.store import open_store
    from appliance.store.keys import Keyring

    store = open_store(data_dir, Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE))
    try:
        assert store.all("SELECT title, category FROM archive_entries")[0][:] == ("通知", "来文")
        assert stored_bytes(store, store.scalar("SELECT document_id FROM archive_entries")) == \
            (stick / "通知.pdf").read_bytes()
    finally:
        store.close()
