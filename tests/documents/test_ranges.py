"""HTTP Range on a document's bytes: the parser on good and bad headers, and the endpoint's
answers (206 with Content-Range, 416, If-Range, the whole file for a header it ignores)."""

import hashlib
import io

import pytest

from appliance.documents import ranges
from tests.meetings.helpers import make_pdf, new_meeting, secretary

SIZE = 1000


@pytest.mark.parametrize("header, expected", [
    ("bytes=0-499", (0, 499)),
    ("bytes=500-", (500, 999)),
    ("bytes=-200", (800, 999)),
    ("bytes=-5000", (0, 999)),          # a suffix longer than the file: all of it
    ("bytes=990-5000", (990, 999)),     # the end is clipped to the file
    ("BYTES = 1 - 1", (1, 1)),
    ("bytes=999-999", (999, 999)),
])
def test_one_valid_range(header, expected):
    assert ranges.parse(header, SIZE) == expected


@pytest.mark.parametrize("header", [
    None, "", "bytes=", "bytes=-", "bytes=0-1,5-9", "bytes=0-1, 3-4", "items=0-10", "bytes=abc-def",
    "bytes=--5", "bytes=-5-6", "bytes=5-3", "bytes=1.5-2", "bytes 0-10", "0-10", "bytes=0x10-20",
    "bytes=" + "9" * 25 + "-", "bytes=0-1" + " " * 300, "bytes=\u0661-\u0662",
])
def test_not_one_valid_range_is_ignored(header):
    assert ranges.parse(header, SIZE) is None


@pytest.mark.parametrize("header, size", [("bytes=1000-", SIZE), ("bytes=5000-6000", SIZE), ("bytes=-0", SIZE), ("bytes=0-", 0)])
def test_beyond_the_end_is_unsatisfiable(header, size):
    with pytest.raises(ranges.Unsatisfiable):
        ranges.parse(header, size)


def test_if_range():
    assert ranges.if_range_allows(None, '"abc"')
    assert ranges.if_range_allows('"abc"', '"abc"')
    assert not ranges.if_range_allows('"old"', '"abc"')
    assert not ranges.if_range_allows('W/"abc"', '"abc"')
    assert not ranges.if_range_allows("Wed, 21 Oct 2015 07:28:00 GMT", '"abc"')


def _document(demo_app, pages=30):
    sec = secretary(demo_app)
    mid, _ = new_meeting(demo_app, sec)
    data = make_pdf("范围请求 测试", pages)
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "长文件", "file": (io.BytesIO(data), "long.pdf")},
                 content_type="multipart/form-data")
    store = demo_app.extensions["yishi"].store
    doc = store.scalar("SELECT document_id FROM materials WHERE id = ?", (r.get_json()["id"],))
    stored = b"".join(bytes(r[0]) for r in store.conn.execute(
        "SELECT c.data FROM document_chunks c JOIN documents d ON d.current_version = c.version_id WHERE d.id = ? ORDER BY c.seq", (doc,)))
    return sec, doc, stored


def test_the_endpoint_answers_ranges(demo_app, monkeypatch):
    from appliance.documents import library
    sec, doc, stored = _document(demo_app)
    size = len(stored)
    etag = f'"{hashlib.sha256(stored).hexdigest()}"'
    for url in (f"/documents/{doc}/content", f"/api/v1/documents/{doc}/content"):
        whole = sec.get(url)
        assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes" and whole.data == stored
        r = sec.get(url, headers={"Range": "bytes=10-99"})
        assert r.status_code == 206 and r.headers["Content-Range"] == f"bytes 10-99/{size}"
        assert r.data == stored[10:100] and r.headers["Content-Length"] == "90"
        assert "sandbox" in r.headers["Content-Security-Policy"]
        r = sec.get(url, headers={"Range": "bytes=-100"})
        assert r.status_code == 206 and r.data == stored[-100:]
        r = sec.get(url, headers={"Range": f"bytes={size}-"})
        assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{size}" and r.data == b""
        for bad in ("bytes=0-1,5-9", "bytes=9-3", "garbage"):
            r = sec.get(url, headers={"Range": bad})
            assert r.status_code == 200 and r.data == stored, bad
        r = sec.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
        assert r.status_code == 206 and r.data == stored[:10]
        r = sec.get(url, headers={"Range": "bytes=0-9", "If-Range": '"another-version"'})
        assert r.status_code == 200 and r.data == stored
        assert sec.get(url, headers={"If-None-Match": etag}).status_code == 304
    # Across chunk boundaries, with a small chunk size, every slice is the stored bytes.
    store = demo_app.extensions["yishi"].store
    vid = store.scalar("SELECT current_version FROM documents WHERE id = ?", (doc,))
    chunk = store.scalar("SELECT length(data) FROM document_chunks WHERE version_id = ? AND seq = 0", (vid,))
    for first, last in ((0, 0), (chunk - 1, chunk), (chunk - 3, min(size - 1, 2 * chunk + 5)), (size - 1, size - 1)):
        assert b"".join(library.stream_range(store, vid, first, last)) == stored[first:last + 1]
