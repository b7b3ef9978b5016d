"""The archive (归档) and its Chinese full-text search.

Every filed item is one `archive_entries` row tied to a document: the document's readers are
the entry's readers, checked in SQL (`library.readable_clause`), so search never returns what
the person may not read. Text is normalised once at filing (NFKC, lower case, no spaces
between Chinese characters that PDF extraction leaves behind) and indexed twice: FTS5 trigram
for terms of three or more characters, and a bigram index for the one- and two-character
words Chinese is full of (预算, 人大).

A PDF's text is read after its upload has answered (documents.text_jobs), so an item is often
filed before its document's text exists: the filing indexes what there is (title, number, the
filed note or paragraphs), and the body follows, when the text arrives, in the transaction that
stores it (`_text_arrived`). An entry indexes the text of its document's current version.

The index holds only what every reader of the document may see. What only some of them may see
(the remarks on a circulation's receipts) stays in its own rows and is searched there under
the rule of appliance/office/access.py, the same rule the pages and the API show it by.
"""

import re
import time
import unicodedata

from appliance.documents import library, text_jobs
from appliance.errors import NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.office import OFFICE_ROLES, access
from appliance.office.common import resolve_recipients, year_of
from appliance.store import audit

KINDS = {
    "meeting": _l("Meeting"),
    "outgoing": _l("Outgoing document"),
    "circulation": _l("Circulation"),
    "consultation": _l("Draft for comment"),
    "document": _l("Filed document"),
}
# Default retention (保管期限) by kind, in years; None is permanent (永久).
RETENTION = {"meeting": None, "outgoing": None, "consultation": 30, "circulation": 10, "document": 10}
RETENTION_CHOICES = (None, 30, 10)
MAX_TERMS = 8
PAGE = 20
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")


def normalise(text):
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _SPACES.sub(" ", _CJK_GAP.sub("", text)).strip()


def grams(text):
    """Overlapping character pairs of each run of letters and digits, and each run's last
    character, so any one- or two-character word is a token (or a token prefix)."""
    out = []
    for run in _WORD.findall(text):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
        out.append(run[-1])
    return " ".join(out)


def file(db, actor, kind, source_id, document_id, title, body="", category="", number="", year=None,
         retention_years="default", now=None):
    """File one item inside the caller's write transaction; filing twice is a no-op. `body` is
    what the item adds to its document's text; it must be what `_SOURCE_TEXT` reads again for
    its kind, which indexes the entry anew when the document's text arrives."""
    assert db.in_transaction, "archive.file must run inside store.write()"
    now = time.time() if now is None else now
    if retention_years == "default":
        retention_years = RETENTION[kind]
    cur = db.execute(
        "INSERT OR IGNORE INTO archive_entries (kind, source_id, document_id, title, number, category, year, "
        "archived_at, archived_by, retention_years) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (kind, source_id, document_id, title, number or "", category or "", year or year_of(now), now,
         actor if isinstance(actor, int) else None, retention_years),
    )
    if cur.rowcount != 1:
        return None
    entry_id = cur.lastrowid
    doc_text = db.execute(
        "SELECT v.text FROM documents d JOIN document_versions v ON v.id = d.current_version WHERE d.id = ?",
        (document_id,),
    ).fetchone()
    _index(db, entry_id, title, number, body, doc_text[0] if doc_text else "")
    audit.record(db, actor if actor else "system", "archive.file", {"entry": entry_id, "kind": kind, "source": source_id}, now)
    return entry_id


def _index(db, entry_id, title, number, body, doc_text):
    """(Re)write the entry's rows in both indexes: its title and number, then body + doc_text."""
    full = normalise(" ".join(filter(None, [body, doc_text])))
    db.execute("DELETE FROM archive_fts WHERE rowid = ?", (entry_id,))
    db.execute("DELETE FROM archive_grams WHERE rowid = ?", (entry_id,))
    db.execute("INSERT INTO archive_fts (rowid, title, number, body) VALUES (?,?,?,?)",
               (entry_id, normalise(title), normalise(number or ""), full))
    db.execute("INSERT INTO archive_grams (rowid, grams) VALUES (?, ?)",
               (entry_id, grams(normalise(f"{title} {number} ")) + " " + grams(full)))


# What each kind's filing passes to file() as `body`, read again from where it came from
# (circulation.close: the circulation's note; consultation._file_summary: the paragraphs).
# The other kinds file the document alone. tests/office files a circulation and a draft before
# their document's text is read and finds them by both afterwards.
_SOURCE_TEXT = {
    "circulation": lambda db, source_id: [r[0] for r in db.execute(
        "SELECT note FROM circulations WHERE id = ?", (source_id,))],
    "consultation": lambda db, source_id: [r[0] for r in db.execute(
        "SELECT text FROM consultation_paragraphs WHERE consultation_id = ? ORDER BY number", (source_id,))],
}


@text_jobs.on_text
def _text_arrived(db, document_id, version_id, text):
    """A document's text was read: its entries are indexed again with it. Runs on the text
    worker's thread, in the worker's own write transaction that stores the text (`db`), so an
    entry filed before the text is never left without it, whichever commits first."""
    current = db.execute("SELECT current_version FROM documents WHERE id = ?", (document_id,)).fetchone()
    if current is None or current[0] != version_id:
        return  # the text of a version since replaced: the entries index the current one
    for e in db.execute("SELECT id, kind, source_id, title, number FROM archive_entries WHERE document_id = ?",
                        (document_id,)).fetchall():
        source = _SOURCE_TEXT.get(e["kind"])
        body = " ".join(filter(None, source(db, e["source_id"]))) if source else ""
        _index(db, e["id"], e["title"], e["number"], body, text)


def file_document(store, person, title, filename, data, category="", year=None, retention_years="default",
                  classified=False, readers=(), now=None):
    """Staff file a document straight into the archive (收文, 资料 …)."""
    category = (category or "").strip()[:40]
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 9999):
        raise UserError("bad_year", _l("Enter a year such as 2026."), field="year")
    if retention_years not in ("default", *RETENTION_CHOICES):
        raise UserError("bad_retention", _l("Choose a retention period from the list."), field="retention")
    readers = resolve_recipients(store, readers) if readers else []
    doc_id = library.create(store, person.id, title, filename, data, classified=classified, now=now)
    with store.write() as db:
        library.grant(db, doc_id, readers)
        entry = file(db, person.id, "document", doc_id, doc_id, title.strip(), category=category, year=year,
                     retention_years=retention_years, now=now)
    return entry


def sweep_meetings(store, now=None):
    """Held meetings with minutes are filed automatically (called whenever the archive is read)."""
    rows = store.all(
        "SELECT m.id, m.title, m.kind, m.starts_at, m.minutes_document FROM meetings m "
        "WHERE m.status = 'closed' AND m.minutes_document IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM archive_entries e WHERE e.kind = 'meeting' AND e.source_id = m.id)"
    )
    if not rows:
        return 0
    with store.write() as db:
        for m in rows:
            file(db, "system", "meeting", m["id"], m["minutes_document"], m["title"], category=m["kind"],
                 year=year_of(m["starts_at"]), now=now)
    return len(rows)


def _folded(text):
    """`text` as the index compares it (NFKC, lower case) with, for each of its characters, the
    position in `text` it came from; ＡＢＣ and ABC, 、and 、 fold alike but are shown as stored."""
    whole = unicodedata.normalize("NFKC", text).lower()
    if len(whole) == len(text):  # nearly always: full-width forms fold one to one
        return whole, range(len(text))
    out, where = [], []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).lower()
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


_CHUNK = 4096


def find_term(text, term, start=0):
    """(start, end) in `text` as stored of the first place from `start` where the search term
    matches as the index matches it (folded, and across the spaces PDF extraction leaves between
    characters), or None. Folds a piece at a time, growing to a few thousand characters: NFKC over
    a whole document of full-width text costs ~13 ms per 50,000 characters, and the match is
    usually near."""
    if not term or not text:
        return None
    pattern = re.compile(r"\s*".join(map(re.escape, term)))
    overlap = 4 * len(term) + 64  # a match that runs over the end of a piece is found whole
    at, size = max(0, start), 256  # small first: the index's hint is usually a few characters off
    while at < len(text):
        folded, where = _folded(text[at:at + size + overlap])
        m = pattern.search(folded)
        if m is not None and where[m.start()] < size:
            return at + where[m.start()], at + where[m.end() - 1] + 1
        at, size = at + size, min(size * 2, _CHUNK)
    return None


def excerpt(text, term, before=40, width=120, hint=None):
    """About `width` characters of `text` around the first match of `term` (its start if none),
    cut from the text as stored: full-width punctuation and letters stay as the document has them.
    `hint` is where the index's normalised copy has the term (1-based, 0: not there): the stored
    text has it no earlier, as normalising only takes characters out, so the search starts there."""
    text = text or ""
    if hint == 0:
        hit = None
    else:
        hit = find_term(text, term, max(0, int(((hint or 1) - 1) * 0.98) - 64))
        if hit is None and hint:
            hit = find_term(text, term)  # a ligature (ﬁ) made the copy longer: from the start
    start = max(0, hit[0] - before) if hit else 0
    return _SPACES.sub(" ", text[start:start + width]).strip()


def term_spans(text, terms):
    """Non-overlapping (start, end) of every match of any of `terms` in `text`, longest first."""
    spans = []
    for t in sorted(set(terms), key=len, reverse=True):
        pos = 0
        while (hit := find_term(text, t, pos)) is not None:
            if not any(a < hit[1] and hit[0] < b for a, b in spans):
                spans.append(hit)
            pos = hit[1]
    return sorted(spans)


def parse_query(q):
    """Search terms from what was typed: symbols are separators, letters are kept."""
    # Unlike document text, a space someone typed between two words separates them.
    return _WORD.findall(unicodedata.normalize("NFKC", q or "").lower())[:MAX_TERMS]


def _fts_phrase(term):
    return '"' + term.replace('"', '""') + '"'


# Receipts whose remark contains a term (lower() as the index's normalisation does for ASCII),
# kept to those the rule of access.receipt_rule lets the person see.
_REMARKS = ("FROM circulation_recipients r JOIN circulations c ON c.id = r.circulation_id "
            "WHERE instr(lower(r.remark), ?) > 0 AND {rule}")


def _index_of(term):
    """Three or more characters go to the trigram index, one or two to the bigram index."""
    if len(term) >= 3:
        return "archive_fts", _fts_phrase(term)
    return "archive_grams", _fts_phrase(term) + ("" if len(term) == 2 else "*")


def _term_clauses(store, person, terms):
    """[(SQL, params)] on `archive_entries e`: every term is in the entry's indexed text or in a
    remark on its receipts that `person` may see. Terms no such remark contains are matched
    together, one query per index (for two common words, twice as fast as one each)."""
    rule, rule_params = access.receipt_rule(person)
    remarks = _REMARKS.format(rule=rule)
    clauses, together = [], {}
    for t in terms:
        index, phrase = _index_of(t)
        if store.one(f"SELECT 1 {remarks} LIMIT 1", (t, *rule_params)) is None:
            together.setdefault(index, []).append(phrase)
            continue
        clauses.append((f"e.id IN (SELECT rowid FROM {index} WHERE {index} MATCH ? UNION ALL SELECT x.id FROM "
                        f"archive_entries x WHERE x.kind = 'circulation' AND x.source_id IN (SELECT c.id {remarks}))",
                        (phrase, t, *rule_params)))
    for index, phrases in together.items():
        clauses.append((f"e.id IN (SELECT rowid FROM {index} WHERE {index} MATCH ?)", (" AND ".join(phrases),)))
    return clauses


def _remark_excerpt(store, person, circulation_id, term):
    rule, rule_params = access.receipt_rule(person)
    return store.scalar(f"SELECT r.remark {_REMARKS.format(rule=rule)} AND c.id = ? LIMIT 1",
                        (term, *rule_params, circulation_id))


def search(store, person, q="", year=None, kind=None, category=None, limit=PAGE, offset=0):
    """Entries `person` may read that match every term; returns a dict with results and total.

    Each term must be in the entry's indexed text or in a remark the person may see; the terms
    are intersected in SQL with the access condition and the filters.
    """
    sweep_meetings(store)
    terms = parse_query(q)
    notice = None
    if (q or "").strip() and not terms:
        return {"results": [], "total": 0, "terms": [], "notice": "symbols_only"}
    where, params = [], []
    acl, acl_params = library.readable_clause(person)
    where.append(acl)
    params.extend(acl_params)
    for clause, clause_params in _term_clauses(store, person, terms):
        where.append(clause)
        params.extend(clause_params)
    if year:
        where.append("e.year = ?")
        params.append(int(year))
    if kind:
        if kind not in KINDS:
            raise UserError("bad_kind", _l("Choose a kind from the list."), field="kind")
        where.append("e.kind = ?")
        params.append(kind)
    if category:
        where.append("e.category = ?")
        params.append(category)
    sql_where = " AND ".join(where)
    base = f"FROM archive_entries e JOIN documents d ON d.id = e.document_id WHERE {sql_where}"
    total = store.scalar(f"SELECT count(*) {base}", tuple(params))
    first = terms[0] if terms else ""
    # Sort and cut the page on ids first, then read the excerpts of those 20 rows only:
    # SQLite would otherwise compute every matching row's excerpt before sorting.
    page_ids = f"SELECT e.id {base} ORDER BY (? <> '' AND instr(lower(e.title), ?) > 0) DESC, e.archived_at DESC, e.id DESC LIMIT ? OFFSET ?"
    rows = store.all(
        "SELECT e.id, e.kind, e.source_id, e.document_id, e.title, e.number, e.category, e.year, e.archived_at, "
        "e.retention_years, d.classified, "
        "(SELECT v.text FROM document_versions v WHERE v.id = d.current_version) AS doc_text, "
        "(SELECT CASE WHEN ? <> '' THEN instr(f.body, ?) END FROM archive_fts f WHERE f.rowid = e.id) AS at "
        f"FROM archive_entries e JOIN documents d ON d.id = e.document_id WHERE e.id IN ({page_ids}) "
        "ORDER BY (? <> '' AND instr(lower(e.title), ?) > 0) DESC, e.archived_at DESC, e.id DESC",
        (first, first, *params, first, first, int(limit), int(offset), first, first),
    )
    results = [dict(r) for r in rows]
    for r in results:
        # The excerpt is cut from the text as stored (its full-width ，。：kept), not from the
        # index's normalised copy; only where to cut is found by the index's rules (find_term).
        source = _SOURCE_TEXT.get(r["kind"])
        body = " ".join(filter(None, source(store, r["source_id"]))) if source else ""
        r["excerpt"] = excerpt(" ".join(filter(None, [body, r.pop("doc_text") or ""])), first, hint=r.pop("at"))
        if first and r["kind"] == "circulation" and find_term(r["excerpt"], first) is None:
            r["excerpt"] = _remark_excerpt(store, person, r["source_id"], first) or r["excerpt"]
    return {"results": results, "total": total, "terms": terms, "notice": notice}


def facets(store, person):
    acl, acl_params = library.readable_clause(person)
    years = [r[0] for r in store.all(
        f"SELECT DISTINCT e.year FROM archive_entries e JOIN documents d ON d.id = e.document_id WHERE {acl} ORDER BY e.year DESC",
        acl_params)]
    categories = [r[0] for r in store.all(
        f"SELECT DISTINCT e.category FROM archive_entries e JOIN documents d ON d.id = e.document_id "
        f"WHERE {acl} AND e.category <> '' ORDER BY e.category", acl_params)]
    return {"years": years, "kinds": list(KINDS), "categories": categories}


def entry(store, person, entry_id):
    row = store.one("SELECT e.*, p.name AS archived_by_name FROM archive_entries e "
                    "LEFT JOIN people p ON p.id = e.archived_by WHERE e.id = ?", (entry_id,))
    if row is None or not library.can_read(store, person, row["document_id"]):
        # The same answer whether it does not exist or may not be read: nothing leaks.
        raise NotFound("no_entry", _l("No such archive entry."))
    return row


def details(store, person, entry):
    """What the entry page shows beside the document: the receipts of a circulation or the
    sign-off trail of an outgoing document, as much as `person` may see of them."""
    if entry["kind"] == "circulation":
        circ = store.one("SELECT * FROM circulations WHERE id = ?", (entry["source_id"],))
        return {"receipts": access.visible_receipts(store, person, circ)} if circ else {}
    if entry["kind"] == "outgoing":
        row = store.one("SELECT * FROM outgoing WHERE id = ?", (entry["source_id"],))
        return {"decisions": access.visible_trail(store, person, row)} if row else {}
    return {}


def retention_label(years):
    return _l("Permanent") if years is None else _l("%(n)d years", n=years)


def may_file(person):
    return person.has(*OFFICE_ROLES)
