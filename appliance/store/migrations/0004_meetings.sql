-- Meetings, their agenda, materials, attendance (签到), polls and ballots.
--
-- Secret ballots: who has voted (poll_participation) and what was voted (ballots) are kept
-- apart with nothing that links them. The ballot side has no person, no time and no insertion
-- order: its key is random and the table is WITHOUT ROWID, so rows sit in key order; the
-- participation row keeps only a hash of the tablet's ballot id, which appears nowhere on the
-- ballot side. Named polls record (person, choice) in named_votes instead.

CREATE TABLE meetings (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('standing', 'directors', 'party_group', 'other')),
    title       TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    starts_at   REAL NOT NULL,
    room        TEXT NOT NULL DEFAULT '',
    membership  INTEGER NOT NULL CHECK (membership > 0),  -- N, 全体组成人员 (audited when changed)
    status      TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'open', 'closed')),
    signin_open INTEGER NOT NULL DEFAULT 0 CHECK (signin_open IN (0, 1)),
    current_item INTEGER,
    created_by  INTEGER REFERENCES people(id),
    created_at  REAL NOT NULL,
    closed_at   REAL,
    minutes_document INTEGER REFERENCES documents(id)
);

CREATE TABLE meeting_people (
    meeting_id   INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    capacity     TEXT NOT NULL CHECK (capacity IN ('member', 'attendee')),
    status       TEXT NOT NULL DEFAULT 'expected' CHECK (status IN ('expected', 'present', 'excused')),
    signed_in_at REAL,
    signed_by    INTEGER REFERENCES people(id),  -- staff who signed in on the person's behalf
    reason       TEXT,
    PRIMARY KEY (meeting_id, person_id)
) WITHOUT ROWID;

CREATE TABLE agenda_items (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL CHECK (length(trim(title)) BETWEEN 1 AND 200),
    kind       TEXT NOT NULL CHECK (kind IN ('bill', 'regulation', 'amendment', 'appointment', 'report', 'other')),
    amends     INTEGER REFERENCES agenda_items(id),
    post       TEXT,  -- appointment items: the post concerned
    action     TEXT CHECK (action IS NULL OR action IN ('appoint', 'remove')),
    UNIQUE (meeting_id, position)
);

CREATE TABLE materials (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    item_id     INTEGER REFERENCES agenda_items(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    published_at REAL,
    keep_after_close INTEGER NOT NULL DEFAULT 0 CHECK (keep_after_close IN (0, 1)),
    recalled_at REAL
);

CREATE TABLE polls (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES agenda_items(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    mode        TEXT NOT NULL DEFAULT 'secret' CHECK (mode IN ('secret', 'named')),
    rule        TEXT NOT NULL DEFAULT 'majority' CHECK (rule IN ('majority', 'two_thirds_or_more', 'more_than_two_thirds')),
    method      TEXT NOT NULL DEFAULT 'electronic' CHECK (method IN ('electronic', 'show_of_hands')),
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    opened_at   REAL,
    closes_at   REAL,  -- optional countdown
    closed_at   REAL,
    membership  INTEGER,  -- N at opening
    eligible    INTEGER,  -- members present at closing
    yes         INTEGER,
    no          INTEGER,
    abstain     INTEGER,
    not_voted   INTEGER,
    needed      INTEGER,
    passed      INTEGER,
    fallback_reason TEXT,
    CHECK (method = 'electronic' OR fallback_reason IS NOT NULL)
);

CREATE TABLE poll_participation (
    poll_id     INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    ballot_hash TEXT NOT NULL,  -- SHA-256 of the tablet's ballot id: makes a retry idempotent
    PRIMARY KEY (poll_id, person_id)  -- one ballot per member per poll, by construction
) WITHOUT ROWID;

CREATE TABLE ballots (
    poll_id INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    id      TEXT NOT NULL,  -- random, made by the server
    tracker TEXT NOT NULL,  -- random, made by the tablet, known only to it
    choice  TEXT NOT NULL CHECK (choice IN ('yes', 'no', 'abstain')),
    PRIMARY KEY (poll_id, id),
    UNIQUE (poll_id, tracker)
) WITHOUT ROWID;

CREATE TABLE named_votes (
    poll_id   INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id),
    choice    TEXT NOT NULL CHECK (choice IN ('yes', 'no', 'abstain')),
    PRIMARY KEY (poll_id, person_id)
) WITHOUT ROWID;

CREATE TABLE speak_requests (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    item_id     INTEGER REFERENCES agenda_items(id),
    requested_at REAL NOT NULL,
    status      TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'speaking', 'done', 'withdrawn'))
);

CREATE TABLE service_calls (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    kind        TEXT NOT NULL CHECK (kind IN ('tea', 'tech', 'other')),
    requested_at REAL NOT NULL,
    handled_at  REAL,
    handled_by  INTEGER REFERENCES people(id)
);
