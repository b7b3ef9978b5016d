"""Archive search over 10,000 documents inside the encrypted store, against a LIKE scan.

    .venv/bin/python bench/search_bench.py [--docs 10000] [--chars 800] [--runs 15]

Builds a throw-away SQLCipher store (real key, real migrations, the demo committee), files
N documents through `archive.file` (the real indexing path: trigram FTS5 + the bigram index),
then times `archive.search` for 1-, 2-, 3- and 4-character words and a two-word query, as
office staff and as a member who may read a third of them, and the same queries as a LIKE scan
with the same access condition. Figures are medians in ms; the ratio is LIKE / FTS.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from appliance import demo  # noqa: E402
from appliance.devices import people  # noqa: E402
from appliance.documents import library  # noqa: E402
from appliance.office import archive  # noqa: E402
from appliance.store import open_store  # noqa: E402

WORDS = ("人大 常委会 预算 决算 审查 监督 代表 建议 议案 办理 财政 报告 执法 检查 任免 调研 视察 民生 教育 医疗 "
         "养老 环境 保护 乡村 振兴 城市 建设 交通 水利 农业 工业 科技 文化 旅游 安全 生产 社会 治理 法治 政府 "
         "工作 会议 决定 决议 条例 办法 规定 通知 意见 方案 计划 总结 情况 问题 措施 落实 推进 加强 改进 完善").split()
QUERIES = [("1 char", "审"), ("2 chars", "预算"), ("3 chars", "常委会"), ("4 chars", "财政预算"), ("2 words", "人大 监督"),
           ("rare", "盐卤井")]


def text(rng, chars):
    out = []
    n = 0
    while n < chars:
        w = rng.choice(WORDS)
        out.append(w)
        n += len(w)
        if rng.random() < 0.08:
            out.append("，")
    return "".join(out) + "。"


def build(data_dir, n, chars):
    store = open_store(data_dir, os.urandom(32), create=True)
    demo.populate(store)
    staff = people.by_username(store, "staff")
    member = people.everyone(store, "member")[0]
    rng = random.Random(7)
    t0 = time.perf_counter()
    now = time.time()
    for start in range(0, n, 1000):
        with store.write() as db:
            for i in range(start, min(n, start + 1000)):
                body = text(rng, chars)
                if i % 997 == 0:
                    body += "自贡盐卤井保护"
                classified = 1 if i % 10 == 0 else 0
                doc = db.execute("INSERT INTO documents (title, classified, created_by, created_at) VALUES (?,?,?,?)",
                                 (f"{rng.choice(WORDS)}{rng.choice(WORDS)}第{i}号文件", classified, staff.id, now)).lastrowid
                vid = db.execute("INSERT INTO document_versions (document_id, version, filename, mime, size, sha256, pages, text, "
                                 "created_by, created_at) VALUES (?,1,'a.pdf','application/pdf',1,'x',1,?,?,?)",
                                 (doc, body, staff.id, now)).lastrowid
                db.execute("UPDATE documents SET current_version = ? WHERE id = ?", (vid, doc))
                if i % 3 == 0:
                    library.grant(db, doc, [member.id])
                archive.file(db, staff.id, "document", doc, doc, f"文件{i}", category=rng.choice(["收文", "发文", "会议"]),
                             year=2020 + i % 7, now=now)
    return store, staff, member, time.perf_counter() - t0


def like_scan(store, person, q):
    terms = archive.parse_query(q)
    acl, params = library.readable_clause(person)
    where = [acl] + ["(instr(f.title, ?) > 0 OR instr(f.body, ?) > 0)"] * len(terms)
    args = list(params)
    for t in terms:
        args += [t, t]
    base = (f"FROM archive_entries e JOIN documents d ON d.id = e.document_id JOIN archive_fts f ON f.rowid = e.id "
            f"WHERE {' AND '.join(where)}")
    total = store.scalar(f"SELECT count(*) {base}", args)
    rows = store.all(f"SELECT e.id, e.title {base} ORDER BY e.archived_at DESC, e.id DESC LIMIT 20", args)
    return total, rows


def timed(fn, runs):
    fn()  # warm the page cache: we measure search, not the first disk read
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--chars", type=int, default=800)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store, staff, member, build_s = build(tmp, args.docs, args.chars)
        size = os.path.getsize(os.path.join(tmp, "yishi.db")) / 1e6
        print(f"{args.docs} documents of ~{args.chars} characters filed in {build_s:.1f} s; store {size:.0f} MB (encrypted)")
        print(f"{'who':7s} {'query':9s} {'found':>6s} {'FTS ms':>8s} {'LIKE ms':>8s} {'LIKE/FTS':>9s}")
        worst = 0.0
        for who, person in (("staff", staff), ("member", member)):
            for label, q in QUERIES:
                fts_ms, res = timed(lambda: archive.search(store, person, q), args.runs)
                like_ms, (total, _) = timed(lambda: like_scan(store, person, q), args.runs)
                if total != res["total"]:
                    raise SystemExit(f"{q!r}: FTS found {res['total']}, LIKE found {total}: the indexes disagree")
                worst = max(worst, fts_ms)
                print(f"{who:7s} {label:9s} {res['total']:6d} {fts_ms:8.1f} {like_ms:8.1f} {like_ms / fts_ms:8.1f}x")
        print(f"slowest search: {worst:.1f} ms (target: under 100 ms)")
        store.close()


if __name__ == "__main__":
    main()
