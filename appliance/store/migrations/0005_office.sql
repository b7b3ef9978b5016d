-- The digital office: circulation with read receipts (传阅), drafts for comment (征求意见稿),
-- sign-off of outgoing documents (发文审签) with document numbers, and the archive (归档) with
-- Chinese full-text search (FTS5: trigram for 3+ characters, a bigram index for 1-2).

CREATE TABLE circulations (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    title       TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    note        TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    sender_id   INTEGER NOT NULL REFERENCES people(id),
    sent_at     REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at   REAL,
    outgoing_id INTEGER  -- set when an issued outgoing document is distributed as a circulation
);

CREATE TABLE circulation_recipients (
    circulation_id INTEGER NOT NULL REFERENCES circulations(id) ON DELETE CASCADE,
    person_id      INTEGER NOT NULL REFERENCES people(id),
    opened_at      REAL,
    read_at        REAL,
    remark         TEXT CHECK (remark IS NULL OR length(remark) <= 500),
    reminders      INTEGER NOT NULL DEFAULT 0,
    reminded_at    REAL,
    PRIMARY KEY (circulation_id, person_id),
    CHECK (read_at IS NULL OR opened_at IS NOT NULL)
) WITHOUT ROWID;
CREATE INDEX circulation_recipients_person ON circulation_recipients (person_id, read_at);

CREATE TABLE consultations (
    id          INTEGER PRIMARY KEY,
    series_id   INTEGER REFERENCES consultations(id),  -- the first version's id
    version     INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    previous_id INTEGER REFERENCES consultations(id),
    title       TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    note        TEXT NOT NULL DEFAULT '',
    document_id INTEGER REFERENCES documents(id),  -- the PDF the text came from, if any
    deadline    REAL NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES people(id),
    created_at  REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'superseded')),
    closed_at   REAL,
    summary_document_id INTEGER REFERENCES documents(id)  -- the 意见汇总表 PDF kept at closing
);

CREATE TABLE consultation_paragraphs (
    consultation_id INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    number          INTEGER NOT NULL CHECK (number >= 1),
    text            TEXT NOT NULL,
    PRIMARY KEY (consultation_id, number)
) WITHOUT ROWID;

CREATE TABLE consultation_people (
    consultation_id INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    person_id       INTEGER NOT NULL REFERENCES people(id),
    responded_at    REAL,
    no_comment      INTEGER NOT NULL DEFAULT 0 CHECK (no_comment IN (0, 1)),  -- 无意见
    PRIMARY KEY (consultation_id, person_id)
) WITHOUT ROWID;

CREATE TABLE consultation_comments (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
    paragraph       INTEGER CHECK (paragraph IS NULL OR paragraph >= 1),  -- NULL: on the whole draft
    kind            TEXT NOT NULL CHECK (kind IN ('comment', 'replace')),
    body            TEXT NOT NULL CHECK (length(trim(body)) BETWEEN 1 AND 5000),
    author_id       INTEGER NOT NULL REFERENCES people(id),
    created_at      REAL NOT NULL,
    disposition     TEXT CHECK (disposition IS NULL OR disposition IN ('adopted', 'partly', 'not_adopted')),
    reason          TEXT NOT NULL DEFAULT '',
    decided_by      INTEGER REFERENCES people(id),
    decided_at      REAL,
    CHECK (kind = 'comment' OR paragraph IS NOT NULL)
);
CREATE INDEX consultation_comments_by_time ON consultation_comments (consultation_id, created_at, id);

-- Number kinds and their patterns; `{year}` and `{n}` are filled in at numbering time.
CREATE TABLE number_kinds (
    kind    TEXT PRIMARY KEY,
    label   TEXT NOT NULL CHECK (length(trim(label)) BETWEEN 1 AND 40),
    pattern TEXT NOT NULL CHECK (instr(pattern, '{year}') > 0 AND instr(pattern, '{n}') > 0)
) WITHOUT ROWID;
INSERT INTO number_kinds VALUES ('ban', '办公室发文', '大安人大办〔{year}〕{n}号');
INSERT INTO number_kinds VALUES ('chang', '常委会发文', '大安人大常〔{year}〕{n}号');

CREATE TABLE outgoing (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    kind        TEXT NOT NULL REFERENCES number_kinds(kind),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    created_by  INTEGER NOT NULL REFERENCES people(id),
    created_at  REAL NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'issued')),
    number      TEXT UNIQUE,
    issued_at   REAL,
    distribution TEXT NOT NULL DEFAULT '[]'  -- JSON list of person ids to send the issued document to
);

CREATE TABLE outgoing_steps (
    outgoing_id INTEGER NOT NULL REFERENCES outgoing(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 0),
    kind        TEXT NOT NULL CHECK (kind IN ('draft', 'check', 'sign', 'number', 'issue')),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (outgoing_id, position),
    UNIQUE (outgoing_id, kind)
) WITHOUT ROWID;

CREATE TABLE outgoing_decisions (
    id           INTEGER PRIMARY KEY,
    outgoing_id  INTEGER NOT NULL REFERENCES outgoing(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    step         TEXT NOT NULL,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    decision     TEXT NOT NULL CHECK (decision IN ('approve', 'return')),
    to_position  INTEGER,
    remark       TEXT NOT NULL DEFAULT '',
    doc_version  INTEGER,
    at           REAL NOT NULL,
    request_key  TEXT NOT NULL,
    UNIQUE (outgoing_id, request_key)  -- a double tap replays the same key: one decision
);

-- Given numbers: consecutive per (kind, year), never reused (primary key, no update or delete)
-- and never skipped (only max + 1 is accepted).
CREATE TABLE document_numbers (
    kind        TEXT NOT NULL REFERENCES number_kinds(kind),
    year        INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 9999),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    number      TEXT NOT NULL UNIQUE,
    outgoing_id INTEGER NOT NULL UNIQUE REFERENCES outgoing(id),
    at          REAL NOT NULL,
    PRIMARY KEY (kind, year, seq)
) WITHOUT ROWID;

CREATE TRIGGER document_numbers_consecutive BEFORE INSERT ON document_numbers
WHEN NEW.seq <> (SELECT coalesce(max(seq), 0) + 1 FROM document_numbers WHERE kind = NEW.kind AND year = NEW.year)
BEGIN
    SELECT RAISE(ABORT, 'document numbers are consecutive: only the next number can be given');
END;

CREATE TRIGGER document_numbers_no_update BEFORE UPDATE ON document_numbers
BEGIN
    SELECT RAISE(ABORT, 'a document number, once given, never changes');
END;

CREATE TRIGGER document_numbers_no_delete BEFORE DELETE ON document_numbers
BEGIN
    SELECT RAISE(ABORT, 'a document number, once given, is never taken back');
END;

-- The archive: one entry per filed item, each tied to the document that decides who may read it.
-- Rows stay small (the text lives only in the search index) so that filtering thousands of
-- matches reads few pages.
CREATE TABLE archive_entries (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('meeting', 'outgoing', 'circulation', 'consultation', 'document')),
    source_id   INTEGER,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    title       TEXT NOT NULL,
    number      TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',  -- the series: a meeting kind, a number kind, …
    year        INTEGER NOT NULL,
    archived_at REAL NOT NULL,
    archived_by INTEGER REFERENCES people(id),
    retention_years INTEGER CHECK (retention_years IS NULL OR retention_years > 0),  -- NULL: 永久
    UNIQUE (kind, source_id)
);
CREATE INDEX archive_entries_filters ON archive_entries (year, kind, category);
CREATE INDEX archive_entries_document ON archive_entries (document_id);

-- Trigram index over title, number and the normalised text (it also keeps the text, for excerpts).
CREATE VIRTUAL TABLE archive_fts USING fts5(title, number, body, tokenize='trigram');

-- Chinese words are often two characters, below what a trigram index can find: each run of
-- letters is also indexed as its overlapping pairs (预算调整 -> 预算 算调 调整 整), filled in by
-- appliance/office/archive.py. Contentless: it holds only the index.
CREATE VIRTUAL TABLE archive_grams USING fts5(grams, content='', contentless_delete=1, tokenize='unicode61');

CREATE TRIGGER archive_entries_ad AFTER DELETE ON archive_entries BEGIN
    DELETE FROM archive_fts WHERE rowid = OLD.id;
    DELETE FROM archive_grams WHERE rowid = OLD.id;
END;
