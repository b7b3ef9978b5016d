-- 收文 from a USB stick: the original of an imported document that the reader cannot show as it
-- came (an OFD, the national fixed-layout format, rendered to PDF for the reader), kept beside
-- the version it became, in chunks like the versions themselves, so it can be downloaded as the
-- sender made it. One original per version; it goes with its version.

CREATE TABLE document_originals (
    version_id INTEGER PRIMARY KEY REFERENCES document_versions(id) ON DELETE CASCADE,
    filename   TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    mime       TEXT NOT NULL CHECK (mime IN ('application/ofd')),
    size       INTEGER NOT NULL CHECK (size > 0),
    sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
    created_at REAL NOT NULL
);

CREATE TABLE document_original_chunks (
    version_id INTEGER NOT NULL REFERENCES document_originals(version_id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    data       BLOB NOT NULL,
    PRIMARY KEY (version_id, seq)
);
