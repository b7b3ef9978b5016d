-- Poll kinds beyond the motion (赞成/反对/弃权 on one question): 满意度测评 (assessment), 任免 with a
-- ballot sheet (appointment) and elections with candidates (election), counted by appliance/rules.
--
-- A sheet poll has lines (nominees or candidates, in printed order). Its secret ballots go to
-- sheet_ballots, kept like `ballots` (see 0004's header): no person, no time, a random key,
-- WITHOUT ROWID, rewritten in key order at close. `marks` is the ballot as canonical JSON (sorted
-- keys, every line present), so that no two equal ballots differ in shape.
-- `settings` is the committee's counting rule as it stood when the poll was created (JSON), and
-- `outcome` the counted result (JSON), so that a later change of settings never recounts history.

ALTER TABLE polls ADD COLUMN kind TEXT NOT NULL DEFAULT 'motion'
    CHECK (kind IN ('motion', 'assessment', 'appointment', 'election'));
ALTER TABLE polls ADD COLUMN seats INTEGER CHECK (seats IS NULL OR seats > 0);  -- elections: S
ALTER TABLE polls ADD COLUMN round INTEGER NOT NULL DEFAULT 1 CHECK (round > 0);
ALTER TABLE polls ADD COLUMN round_kind TEXT CHECK (round_kind IS NULL OR round_kind IN ('first', 'runoff', 'further'));
ALTER TABLE polls ADD COLUMN parent_poll INTEGER REFERENCES polls(id);  -- the round this one follows
ALTER TABLE polls ADD COLUMN by_election INTEGER NOT NULL DEFAULT 0 CHECK (by_election IN (0, 1));  -- 补选
ALTER TABLE polls ADD COLUMN settings TEXT;
ALTER TABLE polls ADD COLUMN outcome TEXT;
ALTER TABLE polls ADD COLUMN counted_by TEXT NOT NULL DEFAULT 'device' CHECK (counted_by IN ('device', 'hand'));

CREATE TABLE poll_lines (
    id        INTEGER PRIMARY KEY,
    poll_id   INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    person_id INTEGER REFERENCES people(id),  -- when the nominee or candidate is on the roll
    name      TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    post      TEXT,
    action    TEXT CHECK (action IS NULL OR action IN ('appoint', 'remove')),
    UNIQUE (poll_id, position)
);
CREATE INDEX poll_lines_poll ON poll_lines (poll_id);

-- Elections: who may be written in (另选他人), fixed when the poll is created.
CREATE TABLE poll_eligible (
    poll_id   INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (poll_id, person_id)
) WITHOUT ROWID;

CREATE TABLE sheet_ballots (
    poll_id INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    id      TEXT NOT NULL,  -- random, made by the server
    tracker TEXT NOT NULL,  -- random, made by the tablet, known only to it
    marks   TEXT NOT NULL CHECK (json_valid(marks)),
    PRIMARY KEY (poll_id, id),
    UNIQUE (poll_id, tracker)
) WITHOUT ROWID;
