-- Follow the presenter (同屏 / 同步翻页): at most one presented material per meeting.
--
-- The row is the whole state every gunicorn worker answers from: which material, who drives
-- (the chair or secretary who started it, or the person they handed it to), and the page and
-- zoom the driver is on. `seq` counts turns, so a tablet can drop an event older than what it
-- has. Stopping deletes the row (the audit log keeps start, hand-over and stop).
CREATE TABLE presentations (
    meeting_id  INTEGER PRIMARY KEY REFERENCES meetings(id) ON DELETE CASCADE,
    material_id INTEGER NOT NULL REFERENCES materials(id) ON DELETE CASCADE,
    driver_id   INTEGER NOT NULL REFERENCES people(id),
    page        INTEGER NOT NULL DEFAULT 1 CHECK (page >= 1),
    scale       REAL CHECK (scale IS NULL OR (scale >= 0.25 AND scale <= 6)),  -- NULL: fit to width
    seq         INTEGER NOT NULL DEFAULT 0,
    started_by  INTEGER NOT NULL REFERENCES people(id),
    started_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
) WITHOUT ROWID;
