"""The text job queue in the store: any process's worker takes a job, a dead one's job is taken
over, a job that cannot finish is given up, and an index elsewhere hears when text arrives."""

from appliance.documents import files, library, text_jobs
from appliance.store import open_store
from tests.conftest import PASSPHRASE
from tests.meetings.helpers import make_pdf


def _text(store, doc):
    return store.scalar("SELECT v.text FROM documents d JOIN document_versions v ON v.id = d.current_version "
                        "WHERE d.id = ?", (doc,))


def test_create_returns_before_the_text_is_read_and_any_worker_reads_it_later(store):
    doc = library.create(store, None, "预算报告", "r.pdf", make_pdf("关于预算调整方案的报告"))
    assert _text(store, doc) == ""  # no worker in this process: the job waits in the store
    assert library.text_state(store, doc) == "pending"
    assert text_jobs.run_pending(store) == 1
    assert "预算调整方案" in _text(store, doc) and library.text_state(store, doc) == "ready"
    assert text_jobs.run_pending(store) == 0


def test_two_processes_never_take_the_same_job(store, tmp_path):
    from appliance.store.keys import Keyring

    key = Keyring.load(str(tmp_path / "data")).unlock_with_passphrase(PASSPHRASE)
    other = open_store(str(tmp_path / "data"), key)  # another process's connections to the same file
    try:
        a = library.create(store, None, "甲", "a.pdf", make_pdf("甲"))
        b = library.create(store, None, "乙", "b.pdf", make_pdf("乙"))
        first, second = text_jobs.claim(store), text_jobs.claim(other)
        assert {first, second} == {store.scalar("SELECT current_version FROM documents WHERE id = ?", (d,)) for d in (a, b)}
        assert text_jobs.claim(store) is None and text_jobs.claim(other) is None  # both are leased
    finally:
        other.close()


def test_a_job_whose_worker_died_is_taken_over_then_given_up(store):
    doc = library.create(store, None, "纪要", "m.pdf", make_pdf("会议纪要"))
    t0 = 1_900_000_000.0
    vid = text_jobs.claim(store, now=t0)  # this worker dies with the job
    assert vid is not None
    assert text_jobs.claim(store, now=t0 + text_jobs.LEASE - 1) is None
    assert text_jobs.claim(store, now=t0 + text_jobs.LEASE + 1) == vid  # its lease ran out: taken over
    assert text_jobs.claim(store, now=t0 + 3 * text_jobs.LEASE) is None  # died twice: given up
    assert library.text_state(store, doc) == "failed"


def test_text_that_cannot_be_read_in_time_is_kept_as_far_as_it_got_and_marked_failed(store, monkeypatch):
    doc = library.create(store, None, "纪要", "m.pdf", make_pdf("会议纪要"))
    monkeypatch.setattr(files, "TEXT_LIMITS", files.Limits(memory=files.TEXT_LIMITS.memory, cpu=5, wall=0))
    assert text_jobs.run_pending(store) == 1
    assert library.text_state(store, doc) == "failed"
    assert store.scalar("SELECT error FROM document_text_jobs") == "timeout"


def test_an_index_elsewhere_hears_of_the_text_in_the_same_transaction(store, monkeypatch):
    heard = []

    def listener(db, document_id, version_id, text):
        assert db.in_transaction
        heard.append((document_id, version_id, "预算" in text))

    monkeypatch.setattr(text_jobs, "_listeners", [])
    text_jobs.on_text(listener)
    doc = library.create(store, None, "预算", "r.pdf", make_pdf("预算"))
    text_jobs.run_pending(store)
    assert heard == [(doc, store.scalar("SELECT current_version FROM documents WHERE id = ?", (doc,)), True)]


def test_a_worker_thread_reads_the_text_once_kicked_and_stops_with_its_store(store):
    alive = [True]
    worker = text_jobs.start(store, alive=lambda: alive[0])
    assert text_jobs.start(store) is worker  # one per store and process
    doc = library.create(store, None, "报告", "r.pdf", make_pdf("常委会工作报告"))
    assert library.text(store, doc, wait=30) and "工作报告" in _text(store, doc)
    alive[0] = False
    worker.kick()
    worker.join(10)
    assert not worker.is_alive() and not text_jobs.kick(store)


def test_versions_from_before_the_queue_keep_their_text(store):
    # What migration 0006 leaves a version stored before it: its text, and no job.
    with store.write() as db:
        db.execute("INSERT INTO documents (id, title, created_at, current_version) VALUES (1, '旧文件', 0, 1)")
        db.execute("INSERT INTO document_versions (id, document_id, version, filename, mime, size, sha256, text, created_at) "
                   "VALUES (1, 1, 1, 'a.pdf', 'application/pdf', 1, 'x', '旧文本', 0)")
    assert library.text(store, 1) == "旧文本" and library.text_state(store, 1) == "ready"
    assert text_jobs.run_pending(store) == 0
