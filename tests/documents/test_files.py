"""The confined children: the sanitiser refuses what it cannot vouch for, and no child outlives
its memory, CPU or wall-clock limit."""

import signal
import sys
import time

import pytest

from appliance.documents import files
from appliance.errors import UserError
from tests.documents import pdfs
from tests.meetings.helpers import make_pdf


def test_pdftotext_on_a_bomb_is_stopped_by_the_cpu_limit():
    t0 = time.monotonic()
    text, problem = files.extract_text(pdfs.bomb(), files.Limits(memory=512 * files.MiB, cpu=1, wall=60))
    assert problem == "limit" and time.monotonic() - t0 < 20


def test_a_child_past_its_wall_clock_is_killed():
    t0 = time.monotonic()
    ran = files.run_confined(["sleep", "30"], b"", files.Limits(memory=64 * files.MiB, cpu=5, wall=0.5), max_output=10)
    assert ran.killed and ran.returncode == -signal.SIGKILL and time.monotonic() - t0 < 5


def test_a_child_that_talks_too_much_is_stopped_at_its_cap():
    ran = files.run_confined(["yes"], b"", files.Limits(memory=64 * files.MiB, cpu=5, wall=30), max_output=100_000)
    assert ran.overflowed and len(ran.stdout) < 200_000


def test_a_child_that_wants_too_much_memory_does_not_get_it():
    ran = files.run_confined([sys.executable, "-c", "b = bytearray(400 * 1024 * 1024)"], b"",
                             files.Limits(memory=128 * files.MiB, cpu=5, wall=30), max_output=10_000)
    assert ran.returncode != 0 and b"MemoryError" in ran.stderr


def test_the_document_reaches_the_child_from_memory_not_from_a_file():
    ran = files.run_confined(["sh", "-c", 'readlink "$0"; cat "$0"', "{doc}"], b"%PDF-secret",
                             files.Limits(memory=64 * files.MiB, cpu=5, wall=30), max_output=10_000)
    assert ran.returncode == 0
    link, body = ran.stdout.split(b"\n", 1)
    assert link.startswith(b"/memfd:") and body == b"%PDF-secret"


def test_a_sanitiser_that_hits_a_limit_refuses_the_pdf(monkeypatch):
    monkeypatch.setattr(files, "CLEAN_LIMITS", files.Limits(memory=files.CLEAN_LIMITS.memory, cpu=5, wall=0))
    with pytest.raises(UserError) as e:
        files.clean_pdf(make_pdf())
    assert e.value.code == "pdf_too_complex"


@pytest.mark.parametrize("data", [b"%PDF-1.4 broken", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"])
def test_what_qpdf_cannot_read_or_has_no_pages_is_refused(data):
    with pytest.raises(UserError) as e:
        files.clean_pdf(data)
    assert e.value.code == "bad_pdf" and e.value.status == 415


def test_a_clean_pdf_keeps_its_pages_and_text():
    data = make_pdf("人大常委会", pages=3)
    clean = files.clean_pdf(data)
    assert clean.pages == 3 and clean.removed == {} and clean.data == data
    text, problem = files.extract_text(clean.data)
    assert problem is None and text.count("人大常委会") == 3
