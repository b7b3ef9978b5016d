-- A PDF's search text is extracted after its upload has answered: one job per version, in the
-- store so that whichever process's worker comes first takes it (several gunicorn workers share
-- this file). A done job is deleted; a job whose text could not be read stays as 'failed'.

CREATE TABLE document_text_jobs (
    version_id INTEGER PRIMARY KEY REFERENCES document_versions(id) ON DELETE CASCADE,
    state      TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'failed')),
    queued_at  REAL NOT NULL,
    claimed_at REAL,  -- wall clock of the last claim; a claim older than the lease is taken over
    attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX document_text_jobs_queue ON document_text_jobs (state, queued_at);
