-- People, their roles, settings and the append-only audit log.
-- Times are Unix seconds (REAL, UTC).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE people (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 64),
    username        TEXT UNIQUE CHECK (username IS NULL OR username GLOB '[a-z0-9._-]*'),
    seat            INTEGER UNIQUE CHECK (seat IS NULL OR seat > 0),
    pin_hash        TEXT,
    password_hash   TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    REAL,
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at      REAL NOT NULL
);

CREATE TABLE person_roles (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN
              ('member', 'attendee', 'chair', 'secretary', 'staff', 'leader', 'admin')),
    PRIMARY KEY (person_id, role)
) WITHOUT ROWID;

-- Each entry carries the hash of the one before; `yishi audit verify` walks the chain.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    at        REAL NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE
);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
