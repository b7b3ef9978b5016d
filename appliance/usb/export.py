"""Export of archived minutes (归档会议记录导出) onto a USB stick, as a signed BagIt bag.

What leaves the appliance: for each chosen closed meeting, its minutes PDF as archived at closing
(document metadata added, every font checked to be embedded), its poll results and its
attendance as CSV (UTF-8 with BOM, so WPS and Excel open it without asking), all in one folder
`议事导出-<room>-<date>/` that is a BagIt bag signed with the appliance's Ed25519 key
(appliance/usb/bag.py), with the offline verifier inside. The folder is written under a hidden
temporary name on the stick and renamed at the very end, so a stick pulled halfway, or a full
one, never shows a folder that looks complete.

Classified (涉密) material, a meeting whose minutes or any of whose materials are classified,
never goes to a plain stick: only to one the caller vouches is LUKS-encrypted
(`encrypted_target`) or, for the office's Windows PCs that cannot open LUKS, into one AES-256 7z
archive with encrypted headers (`archive_passphrase`), built from a bag assembled in memory-backed
scratch space, so no plain copy touches the stick or the SD card. Every export, and every refused
one, is in the audit log: who, which meetings, which stick, and the manifests' hashes.

The privileged USB helper and the 导出 page (usb-door) call exactly `exportable_meetings`,
`estimate_bytes` and `export_minutes`; the `yishi export` verb calls them too.
"""

import csv
import datetime
import io
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field

from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.store import audit
from appliance.usb import bag, signing

FOLDER_PREFIX = "议事导出"
MINUTES_FILE = "会议记录.pdf"
POLLS_FILE = "表决结果.csv"
ATTENDANCE_FILE = "出席情况.csv"
STICK_FIELDS = ("vendor", "model", "serial", "label", "fs", "size")
# Per meeting beyond the stored PDF: the metadata pikepdf adds, two CSVs, the bag's share of the
# manifests; and once per export the tag files (verify.py is the biggest, ~10 KB). Generous on
# purpose: the estimate decides "not enough space" before anything is written.
PER_MEETING_BYTES = 64 * 1024
PER_EXPORT_BYTES = 256 * 1024

STATUS_TEXT = {"present": "出席", "excused": "请假", "expected": "缺席"}
CAPACITY_TEXT = {"member": "组成人员", "attendee": "列席"}
METHOD_TEXT = {"electronic": "按表决器", "show_of_hands": "举手表决", "hand_count": "纸质表决票"}


@dataclass
class ExportResult:
    path: str                      # the finished folder (or the .7z archive) on the stick
    files: list                    # [(relative path inside the bag, sha256, size)]
    total_bytes: int               # bytes on the stick: the bag's files, or the 7z archive
    fingerprint: str = ""
    tagmanifest_sha256: str = ""
    archive: bool = False
    meetings: list = field(default_factory=list)


class ExportRefused(UserError):
    status = 409


# -- which meetings ---------------------------------------------------------------------------------
def is_classified(store, meeting_id):
    """A meeting is classified for export when its minutes or any of its materials are (涉密)."""
    return bool(store.scalar(
        "SELECT EXISTS (SELECT 1 FROM meetings m JOIN documents d ON d.id = m.minutes_document "
        "WHERE m.id = ? AND d.classified = 1) OR EXISTS (SELECT 1 FROM materials ma JOIN documents d "
        "ON d.id = ma.document_id WHERE ma.meeting_id = ? AND d.classified = 1)", (meeting_id, meeting_id)))


def exportable_meetings(store, year=None):
    """Closed meetings with minutes, oldest first: [{id, title, kind, starts_at, closed_at, room,
    year, minutes_document, minutes_bytes, classified}]. `year`: only that year's (local time)."""
    rows = store.all(
        "SELECT m.id, m.title, m.kind, m.starts_at, m.closed_at, m.room, m.minutes_document, v.size AS minutes_bytes "
        "FROM meetings m JOIN documents d ON d.id = m.minutes_document JOIN document_versions v ON v.id = d.current_version "
        "WHERE m.status = 'closed' ORDER BY m.starts_at, m.id")
    out = []
    for r in rows:
        item = dict(r)
        item["year"] = time.localtime(r["starts_at"]).tm_year
        if year is not None and item["year"] != int(year):
            continue
        item["classified"] = is_classified(store, r["id"])
        out.append(item)
    return out


def _chosen(store, meeting_ids):
    ids = []
    for mid in meeting_ids or ():
        if isinstance(mid, bool) or not isinstance(mid, int):
            try:
                mid = int(mid)
            except (TypeError, ValueError):
                raise UserError("bad_meeting", _l("Choose meetings from the list.")) from None
        if mid not in ids:
            ids.append(mid)
    if not ids:
        raise UserError("no_meetings", _l("Choose at least one closed meeting to export."))
    by_id = {m["id"]: m for m in exportable_meetings(store)}
    missing = [mid for mid in ids if mid not in by_id]
    if missing:
        raise UserError("not_exportable", _l("Only closed meetings with minutes can be exported (not: %(ids)s).",
                                             ids=", ".join(map(str, missing))), meetings=missing)
    return [by_id[mid] for mid in ids]


def estimate_bytes(store, meeting_ids):
    """Bytes an export of these meetings needs on the stick, erring high."""
    return PER_EXPORT_BYTES + sum(int(m["minutes_bytes"] * 1.05) + PER_MEETING_BYTES for m in _chosen(store, meeting_ids))


# -- the files ----------------------------------------------------------------------------------------
def _safe_name(text, limit=40):
    """A file or folder name every stick's file system and Windows accept (the title is staff's text)."""
    text = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]', "_", text).strip(" .")
    return text[:limit].rstrip(" .") or "_"


def _csv(rows):
    buf = io.StringIO()
    # UTF-8 with BOM and CRLF: how WPS and Excel recognise a UTF-8 CSV (without the BOM they guess
    # GBK and show mojibake).
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def _when(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else ""


def attendance_csv(store, meeting_id):
    from appliance.meetings import core

    rows = [["姓名", "席位号", "身份", "状态", "签到时间", "代签到人", "原因"]]
    for r in core.roster(store, meeting_id):
        rows.append([r["name"], r["seat"] or "", CAPACITY_TEXT[r["capacity"]], STATUS_TEXT[r["status"]],
                     _when(r["signed_in_at"]), r["signed_by_name"] or "", r["reason"] or ""])
    return _csv(rows)


def polls_csv(store, meeting_id):
    from appliance.meetings import core, minutes, polls

    rows = [["议题序号", "议题", "表决事项", "类型", "方式", "计票", "规则", "赞成", "反对", "弃权", "未表决",
             "通过所需票数", "结果", "说明"]]
    items = {it["id"]: it for it in core.items(store, meeting_id)}
    for p in polls.for_meeting(store, meeting_id):
        it = items[p["item_id"]]
        r = polls.result(store, p["id"])
        head = [it["position"], it["title"], p["title"], p["kind"], minutes.MODE_TEXT.get(p["mode"], p["mode"])]
        if r is None:
            rows.append(head + ["", "", "", "", "", "", "", "未完成", p["status"]])
            continue
        method = METHOD_TEXT.get(r.method, r.method)
        if p["kind"] != "motion":
            rows.append(head + [method, "", "", "", "", "", "", "通过" if r.passed else "未通过", "\n".join(r.lines)])
            continue
        note = r.fallback_reason or ""
        if r.mode == "named" and r.method == "electronic":
            named = polls.named_list(store, p["id"])
            note = "；".join(f"{minutes.CHOICE_TEXT[c]}：" + ("、".join(v["name"] for v in named if v["choice"] == c) or "无")
                            for c in ("yes", "no", "abstain"))
        rows.append(head + [method, minutes.RULE_TEXT.get(r.rule, r.rule), r.yes, r.no, r.abstain, r.not_voted,
                            r.needed, "通过" if r.passed else "未通过", note])
    return _csv(rows)


def unembedded_fonts(pdf):
    """Names of the fonts a pikepdf.Pdf uses without embedding them (an archival copy has none)."""
    import pikepdf

    missing = set()

    def check(font):
        if font.get("/Subtype") == "/Type3":
            return  # drawn with PDF operators, nothing to embed
        for d in font.get("/DescendantFonts", []):
            check(d)
        if font.get("/Subtype") == "/Type0":
            return
        desc = font.get("/FontDescriptor")
        if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing.add(str(font.get("/BaseFont", "?")))

    for page in pdf.pages:
        fonts = page.obj.get("/Resources", pikepdf.Dictionary()).get("/Font", pikepdf.Dictionary())
        for _, font in fonts.items():
            check(font)
    return sorted(missing)


def archival_pdf(data, title, meeting, fingerprint, exported_at):
    """The stored minutes with document metadata (Info and XMP, the same values) and language set.

    Not PDF/A: nothing on this machine can check a PDF/A claim (no veraPDF), and a claim nobody
    checked is worse than none. Fonts are embedded already (reportlab embeds its TrueType
    subsets); this refuses a PDF where they are not, rather than export it.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        missing = unembedded_fonts(pdf)
        if missing:
            raise RuntimeError(f"minutes of meeting {meeting['id']}: fonts not embedded: {', '.join(missing)}")
        pdf.Root.Lang = pikepdf.String("zh-CN")
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
            meta["dc:creator"] = ["议事 Yishi"]
            meta["dc:description"] = f"会议记录（第 {meeting['id']} 号会议），{_when(meeting['starts_at'])}"
            meta["dc:language"] = ["zh-CN"]
            meta["pdf:Keywords"] = f"会议记录; 签名公钥指纹 {fingerprint}"
            meta["xmp:CreatorTool"] = "Yishi (议事)"
            meta["xmp:CreateDate"] = datetime.datetime.fromtimestamp(meeting["closed_at"] or meeting["starts_at"]).astimezone().isoformat()
            meta["xmp:MetadataDate"] = exported_at.isoformat()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _meeting_files(store, meeting, fingerprint, exported_at):
    from appliance.documents import library

    doc = library.get(store, meeting["minutes_document"])
    data = b"".join(library.stream(store, doc["current_version"]))
    folder = f"{time.strftime('%Y-%m-%d', time.localtime(meeting['starts_at']))}-{meeting['id']:04d}-{_safe_name(meeting['title'])}"
    return folder, {
        MINUTES_FILE: archival_pdf(data, doc["title"], meeting, fingerprint, exported_at),
        POLLS_FILE: polls_csv(store, meeting["id"]),
        ATTENDANCE_FILE: attendance_csv(store, meeting["id"]),
    }


# -- writing ------------------------------------------------------------------------------------------
def _stick(stick):
    """Only the fields we know, as short text: a stick's descriptors are untrusted input."""
    out = {}
    for k in STICK_FIELDS:
        v = (stick or {}).get(k)
        if v not in (None, ""):
            out[k] = re.sub(r"[\x00-\x1f\x7f]", "?", str(v))[:100]
    return out


def _fsync_tree(folder):
    for root, _, names in os.walk(folder):
        for name in names:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(root)


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems (FAT through some drivers) refuse fsync on a folder; the files are synced
    finally:
        os.close(fd)


def _free_name(dest_root, base, suffix=""):
    name, n = base + suffix, 2
    while os.path.lexists(os.path.join(dest_root, name)):
        name = f"{base}-{n}{suffix}"
        n += 1
    return name


def _scratch_root():
    """Where a bag bound for an encrypted archive is assembled: RAM (/dev/shm) when there is one,
    so the plain files of classified minutes never reach the stick or the SD card."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def _refuse(store, actor_id, code, message, meetings, stick, **details):
    with store.write() as db:
        audit.record(db, actor_id, "usb.export_refused", {"meetings": meetings, "reason": code, "stick": _stick(stick)})
    raise ExportRefused(code, message, meetings=meetings, **details)


def export_minutes(store, data_dir, meeting_ids, dest_root, *, actor_id, stick=None, encrypted_target=False,
                   archive_passphrase=None, progress=None):
    """Write the chosen meetings' minutes, poll results and attendance to `dest_root` as a signed bag.

    `stick`: {vendor, model, serial, label, fs, size} as the USB helper read them (for the audit).
    `encrypted_target`: the caller has unlocked a LUKS stick at `dest_root`. `archive_passphrase`:
    put the bag into one AES-256 7z archive with encrypted headers instead. `progress(done, total)`
    is called as each meeting is written, then for the bag, then (7z) for the archive.
    """
    from appliance.config import Settings
    from appliance.store.keys import check_passphrase_strength

    meetings = _chosen(store, meeting_ids)
    ids = [m["id"] for m in meetings]
    classified = [m["id"] for m in meetings if m["classified"]]
    if archive_passphrase is not None:
        check_passphrase_strength(archive_passphrase)
    if classified and not encrypted_target and archive_passphrase is None:
        _refuse(store, actor_id, "classified_needs_encryption",
                _l("Meetings %(ids)s hold classified material, which only goes to an encrypted stick (LUKS) or into an "
                   "encrypted archive with a passphrase. Nothing was written.", ids=", ".join(map(str, classified))),
                ids, stick, classified=classified)
    if not os.path.isdir(dest_root) or not os.access(dest_root, os.W_OK):
        raise ExportRefused("target_unwritable", _l("The stick or folder cannot be written to (read-only, or not mounted). Nothing was written."))
    needed = estimate_bytes(store, ids)
    free = shutil.disk_usage(dest_root).free
    if free < needed:
        raise ExportRefused("not_enough_space", _l("Not enough space on the stick: %(needed)d MB needed, %(free)d MB free. "
                                                   "Nothing was written.", needed=-(-needed // 2**20), free=free // 2**20),
                            needed=needed, free=free)

    key = signing.load(data_dir, store._key)
    room = Settings.load(data_dir).room
    exporter = (store.scalar("SELECT name FROM people WHERE id = ?", (actor_id,))
                if isinstance(actor_id, int) else None) or str(actor_id)
    exported_at = datetime.datetime.now().astimezone().replace(microsecond=0)
    base = f"{FOLDER_PREFIX}-{_safe_name(room, 30)}-{exported_at.strftime('%Y-%m-%d')}"
    archive = archive_passphrase is not None
    total_steps = len(meetings) + 1 + (1 if archive else 0)
    step = 0

    def tick():
        nonlocal step
        step += 1
        if progress:
            progress(step, total_steps)

    # A plain export's hidden partial folder sits beside its final name, on the stick, so the
    # rename that completes it is atomic; a 7z's plain bag is assembled in RAM (_scratch_root).
    scratch_parent = _scratch_root() if archive else dest_root
    staging = tempfile.mkdtemp(prefix=f".{base}-partial-", dir=scratch_parent)
    final = None
    try:
        for m in meetings:
            folder, files = _meeting_files(store, m, key.fingerprint, exported_at)
            os.makedirs(os.path.join(staging, folder))
            for name, data in files.items():
                with open(os.path.join(staging, folder, name), "wb") as f:
                    f.write(data)
            tick()
        info = {
            "Source-Organization": room,
            "External-Description": "议事导出：归档会议记录、表决结果、出席情况 / Yishi export: archived minutes, poll results, attendance",
            "Contact-Name": exporter,
            "Yishi-Room": room,
            "Yishi-Exporter": f"{exporter} ({actor_id})",
            "Yishi-Exported-At": exported_at.isoformat(),
            "Yishi-Meetings": ", ".join(map(str, ids)),
            "Yishi-Audit-Head": audit.head(store),
            "Yishi-Classified": "yes" if classified else "no",
        }
        tag_hash = bag.write(staging, info, key)
        contents = bag.files(staging)
        try:
            os.chmod(staging, 0o755)  # mkdtemp's 0700 would lock out the stick's next reader on ext4
        except OSError:
            pass  # FAT and exFAT refuse a mode their mount options do not give; nothing to lock out there
        tick()
        if archive:
            final = _write_archive(staging, dest_root, base, archive_passphrase)
            tick()
        else:
            _fsync_tree(staging)
            final = os.path.join(dest_root, _free_name(dest_root, base))
            os.rename(staging, final)
            _fsync_dir(dest_root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if archive:
        shutil.rmtree(staging, ignore_errors=True)
    manifest_hash = next(h for rel, h, _ in contents if rel == "manifest-sha256.txt")
    detail = {"meetings": ids, "path": os.path.basename(final), "stick": _stick(stick),
              "target": "7z" if archive else ("luks" if encrypted_target else "plain"),
              "classified": classified, "files": len(contents), "bytes": sum(s for _, _, s in contents),
              "manifest_sha256": manifest_hash, "tagmanifest_sha256": tag_hash, "key": key.fingerprint}
    if archive:
        detail["archive_sha256"] = bag.files_sha256(final)
    try:
        with store.write() as db:
            audit.record(db, actor_id, "usb.export", detail)
    except BaseException:
        # An export the log does not know of must not stay on the stick.
        if os.path.isdir(final):
            shutil.rmtree(final, ignore_errors=True)
        else:
            os.unlink(final)
        raise
    written = os.path.getsize(final) if archive else sum(s for _, _, s in contents)
    return ExportResult(final, contents, written, key.fingerprint, tag_hash, archive, ids)


def _write_archive(staging, dest_root, base, passphrase):
    """One AES-256 7z archive with encrypted headers (file names unreadable without the
    passphrase), written under a temporary name on the stick and renamed when complete."""
    import py7zr

    name = _free_name(dest_root, base, ".7z")
    tmp = tempfile.NamedTemporaryFile(prefix=f".{base}-partial-", suffix=".7z", dir=dest_root, delete=False)
    tmp.close()
    try:
        with py7zr.SevenZipFile(tmp.name, "w", password=passphrase, header_encryption=True) as z:
            z.writeall(staging, arcname=base)
        fd = os.open(tmp.name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        final = os.path.join(dest_root, name)
        os.rename(tmp.name, final)
        _fsync_dir(dest_root)
        return final
    except BaseException:
        if os.path.exists(tmp.name):
            os.unlink(tmp.name)
        raise

