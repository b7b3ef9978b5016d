-- The USB door's backup stick (备份U盘): the one stick, known by its file system's (or LUKS
-- volume's) UUID, that staff designated to stay in the appliance for the nightly backup. One at a
-- time; designating another replaces it. Who designated it and when is also in the audit log.

CREATE TABLE backup_sticks (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    uuid          TEXT NOT NULL CHECK (length(uuid) BETWEEN 1 AND 64),
    label         TEXT CHECK (label IS NULL OR length(label) <= 64),
    vendor        TEXT CHECK (vendor IS NULL OR length(vendor) <= 64),
    model         TEXT CHECK (model IS NULL OR length(model) <= 64),
    serial        TEXT CHECK (serial IS NULL OR length(serial) <= 64),
    designated_at REAL NOT NULL,
    designated_by TEXT NOT NULL
);
