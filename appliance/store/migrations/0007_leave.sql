-- 请假: a member's request for leave of absence, for one meeting or for every meeting that
-- starts within a range of days (meetings created later inside the range included), and the
-- director's (主任, role 'chair') or the secretary's decision on it. An approved request marks
-- the member excused in meeting_people (status 'excused', with the request's reason), the same
-- row the staff's own 请假 button writes; this table keeps who asked, when, and who decided.
-- Days are local calendar days 'YYYY-MM-DD', both ends included.

CREATE TABLE leave_requests (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    meeting_id   INTEGER REFERENCES meetings(id) ON DELETE CASCADE,
    from_day     TEXT CHECK (from_day IS NULL OR from_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    to_day       TEXT CHECK (to_day IS NULL OR to_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    reason       TEXT NOT NULL CHECK (length(trim(reason)) BETWEEN 1 AND 200),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'declined', 'withdrawn')),
    requested_at REAL NOT NULL,
    decided_at   REAL,
    decided_by   INTEGER REFERENCES people(id),
    note         TEXT CHECK (note IS NULL OR length(note) <= 200),
    -- one meeting, or a range of days: never both, never neither
    CHECK ((meeting_id IS NULL) = (from_day IS NOT NULL)),
    CHECK ((from_day IS NULL) = (to_day IS NULL)),
    CHECK (from_day IS NULL OR from_day <= to_day),
    CHECK ((status IN ('approved', 'declined')) = (decided_at IS NOT NULL))
);

CREATE INDEX leave_requests_by_person ON leave_requests (person_id, status);
CREATE INDEX leave_requests_by_status ON leave_requests (status, requested_at);
