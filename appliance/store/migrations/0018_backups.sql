-- 备份: one row per backup written (appliance/usb/backup.py), so the admin page can say when
-- the last one was made and warn when it is too old, and the nightly run knows whether one is
-- due. The file itself lives on the backup stick; `place` is the folder it was written to and
-- `file` its name there. The row is written after the snapshot, so a backup never holds its
-- own row (a restored appliance shows the backup before it, which is true of that card).

CREATE TABLE backups (
    id       INTEGER PRIMARY KEY,
    at       REAL NOT NULL CHECK (at > 0),
    size     INTEGER NOT NULL CHECK (size > 0),
    place    TEXT NOT NULL,
    file     TEXT NOT NULL,
    sha256   TEXT NOT NULL CHECK (length(sha256) = 64),
    seconds  REAL NOT NULL CHECK (seconds >= 0)
);
CREATE INDEX backups_at ON backups(at);
