-- Paired devices, one-time pairing invitations, pending pairing requests and sign-in sessions.
-- Every secret (invite token, pairing secret, device credential, session id) is stored only as
-- its SHA-256, so a copy of the database cannot be replayed as a credential.

CREATE TABLE devices (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    person_id    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    approved_by  INTEGER REFERENCES people(id),
    created_at   REAL NOT NULL,
    last_seen_at REAL,
    last_person  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    revoked_at   REAL,
    revoked_by   INTEGER REFERENCES people(id)
);

CREATE TABLE pairing_invites (
    token_hash TEXT PRIMARY KEY,
    created_by INTEGER REFERENCES people(id),
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at    REAL
) WITHOUT ROWID;

CREATE TABLE pairing_requests (
    id          TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    short_code  TEXT NOT NULL,
    device_name TEXT NOT NULL,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'approved', 'rejected', 'collected')),
    person_id   INTEGER REFERENCES people(id),
    device_id   INTEGER REFERENCES devices(id),
    decided_by  INTEGER REFERENCES people(id),
    decided_at  REAL
) WITHOUT ROWID;

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    device_id    INTEGER REFERENCES devices(id),
    method       TEXT NOT NULL CHECK (method IN ('pin', 'password')),
    created_at   REAL NOT NULL,
    last_seen_at REAL NOT NULL,
    ended_at     REAL,
    end_reason   TEXT
) WITHOUT ROWID;

CREATE INDEX sessions_by_device ON sessions(device_id) WHERE ended_at IS NULL;
