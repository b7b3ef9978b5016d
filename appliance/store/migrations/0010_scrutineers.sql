-- Paper fallback (纸质表决) counted by hand under the scrutineers (监票人).
--
-- When the equipment fails the secretary switches a poll to paper with a reason (paper_polls);
-- sheets with a serial each are printed (paper_sheets); the scrutineers designated for the
-- meeting or for one poll (scrutineers) each enter the tally (tally_entries), and the tally is
-- accepted only when two entries by two different scrutineers agree exactly.
--
-- polls.method's CHECK allows only 'electronic' and 'show_of_hands', and widening it would mean
-- rebuilding polls, which other migrations extend with columns. So a hand-counted poll is stored
-- with polls.method = 'show_of_hands' (counted by people, with polls.fallback_reason) and a
-- paper_polls row whose accepted_at is set: appliance/meetings/polls.py result() reports it as
-- 'hand_count'. A later rebuild of polls can move it with
--   UPDATE polls SET method = 'hand_count' WHERE id IN (SELECT poll_id FROM paper_polls WHERE accepted_at IS NOT NULL);
--
-- Secrecy: a sheet's serial is recorded, never who received which sheet; an entry holds counts
-- (aggregates), never a ballot.

CREATE TABLE scrutineers (
    meeting_id    INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    poll_id       INTEGER NOT NULL DEFAULT 0,  -- 0: for the whole meeting; else for this poll only
    person_id     INTEGER NOT NULL REFERENCES people(id),
    designated_by INTEGER REFERENCES people(id),
    designated_at REAL NOT NULL,
    PRIMARY KEY (meeting_id, poll_id, person_id)
) WITHOUT ROWID;

CREATE TABLE paper_polls (
    poll_id     INTEGER PRIMARY KEY REFERENCES polls(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL CHECK (length(trim(reason)) BETWEEN 1 AND 200),
    switched_by INTEGER REFERENCES people(id),
    switched_at REAL NOT NULL,
    round       INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),  -- a disagreement starts the next round
    mismatch    TEXT,  -- JSON list of the counters on which the last round's two entries differed
    accepted_at REAL
);

CREATE TABLE paper_sheets (
    poll_id   INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    number    INTEGER NOT NULL CHECK (number >= 1),
    serial    TEXT NOT NULL,
    issued_at REAL NOT NULL,
    PRIMARY KEY (poll_id, number),
    UNIQUE (serial)
) WITHOUT ROWID;

CREATE TABLE tally_entries (
    poll_id    INTEGER NOT NULL REFERENCES paper_polls(poll_id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people(id),
    counts     TEXT NOT NULL,  -- JSON object {counter: n}, n >= 0
    entered_at REAL NOT NULL,
    entered_by INTEGER REFERENCES people(id),  -- whose session sent it (one device, two entries)
    PRIMARY KEY (poll_id, person_id)  -- one entry per scrutineer per round, by construction
) WITHOUT ROWID;
