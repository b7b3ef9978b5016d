-- 会议通知 / 回执: the office's notice of a meeting, who it went to, and each person's reply.
--
-- A notice is sent in versions (notice_versions): editing and sending again makes the next
-- version, never an edit of a sent one, so what each person was told stays on record. The date
-- and time are the meeting's own, copied into the version as sent; the place and the extra text
-- (报到 time, dress) are the office's; the agenda is a snapshot of the meeting's items (JSON).
-- `asks_from` is the first version whose replies count: a version that changes the time or the
-- place asks everyone again (asks_from = its own number), one that changes only the agenda or the
-- extra text keeps the replies (asks_from carried over).
--
-- notice_recipients: everyone expected (meeting_people) when a version went out, and when they
-- were last reminded (提醒未回执 is refused within a few minutes of the last reminder, per person).
-- notice_replies: one row per person and meeting, the latest reply (changes are in the audit
-- log); a 请假 reply links the leave request (leave_requests) it made or found.

CREATE TABLE notice_versions (
    meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL CHECK (version >= 1),
    asks_from  INTEGER NOT NULL CHECK (asks_from BETWEEN 1 AND version),
    starts_at  REAL NOT NULL CHECK (starts_at > 0),
    place      TEXT NOT NULL CHECK (length(trim(place)) BETWEEN 1 AND 100),
    extra      TEXT NOT NULL DEFAULT '' CHECK (length(extra) <= 1000),
    agenda     TEXT NOT NULL DEFAULT '[]',  -- JSON [{id, position, title, kind, confidential}]
    sent_by    INTEGER REFERENCES people(id),
    sent_at    REAL NOT NULL,
    recipients INTEGER NOT NULL CHECK (recipients >= 1),
    PRIMARY KEY (meeting_id, version)
) WITHOUT ROWID;

CREATE TABLE notice_recipients (
    meeting_id   INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    capacity     TEXT NOT NULL CHECK (capacity IN ('member', 'attendee')),
    version      INTEGER NOT NULL CHECK (version >= 1),  -- the latest version sent to them
    sent_at      REAL NOT NULL,
    reminded_at  REAL,
    reminders    INTEGER NOT NULL DEFAULT 0 CHECK (reminders >= 0),
    PRIMARY KEY (meeting_id, person_id)
) WITHOUT ROWID;

CREATE TABLE notice_replies (
    meeting_id  INTEGER NOT NULL,
    person_id   INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),  -- the version answered
    choice      TEXT NOT NULL CHECK (choice IN ('attend', 'leave')),
    reason      TEXT CHECK (reason IS NULL OR length(trim(reason)) BETWEEN 1 AND 200),
    leave_request_id INTEGER REFERENCES leave_requests(id),
    replied_at  REAL NOT NULL,
    CHECK ((choice = 'leave') = (reason IS NOT NULL)),
    PRIMARY KEY (meeting_id, person_id),
    FOREIGN KEY (meeting_id, person_id) REFERENCES notice_recipients(meeting_id, person_id) ON DELETE CASCADE
) WITHOUT ROWID;
