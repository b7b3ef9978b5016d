-- Documents live inside the encrypted store: versions, their bytes in chunks (so a 20 MB PDF is
-- streamed, never loaded whole), extracted text for search, and who may read classified ones.

CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    classified      INTEGER NOT NULL DEFAULT 0 CHECK (classified IN (0, 1)),
    created_by      INTEGER REFERENCES people(id),
    created_at      REAL NOT NULL,
    current_version INTEGER
);

CREATE TABLE document_versions (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    filename    TEXT NOT NULL,
    mime        TEXT NOT NULL CHECK (mime IN ('application/pdf', 'image/png', 'image/jpeg')),
    size        INTEGER NOT NULL CHECK (size > 0),
    sha256      TEXT NOT NULL,
    pages       INTEGER,
    text        TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES people(id),
    created_at  REAL NOT NULL,
    UNIQUE (document_id, version)
);

CREATE TABLE document_chunks (
    version_id INTEGER NOT NULL REFERENCES document_versions(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    data       BLOB NOT NULL,
    PRIMARY KEY (version_id, seq)
);

-- Who may read a document outside a meeting or circulation (grants are added by each area).
CREATE TABLE document_grants (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    PRIMARY KEY (document_id, person_id)
) WITHOUT ROWID;
