-- 审议意见: the members' deliberation opinions on an agenda item, and the loop the office runs
-- from them (appliance/office/opinions.py): compiled into a 审议意见书, signed off as an
-- outgoing document, sent (交办) to the body concerned with a deadline, the handling report
-- (办理情况报告) received, and that report put to a 满意度测评 at a later meeting.
--
-- An opinion is the member's (person_id) whoever typed it: `source` says whether the member did
-- on the tablet or the staff entered it from the floor, and then `entered_by` names who.

CREATE TABLE opinions (
    id          INTEGER PRIMARY KEY,
    item_id     INTEGER NOT NULL REFERENCES agenda_items(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    body        TEXT NOT NULL CHECK (length(trim(body)) BETWEEN 1 AND 3000),
    source      TEXT NOT NULL CHECK (source IN ('tablet', 'staff')),
    entered_by  INTEGER REFERENCES people(id),
    created_at  REAL NOT NULL,
    CHECK ((source = 'staff') = (entered_by IS NOT NULL))
);
CREATE INDEX opinions_item ON opinions (item_id, created_at);
CREATE INDEX opinions_person ON opinions (person_id, created_at);

-- One loop per item, created when the office compiles its opinions (which closes the item for
-- opinions). Each later step fills its columns once; the state is read from which are filled.
CREATE TABLE opinion_loops (
    item_id      INTEGER PRIMARY KEY REFERENCES agenda_items(id) ON DELETE CASCADE,
    compiled_at  REAL NOT NULL,
    compiled_by  INTEGER NOT NULL REFERENCES people(id),
    opinions     INTEGER NOT NULL CHECK (opinions > 0),  -- how many the 审议意见书 holds
    outgoing_id  INTEGER UNIQUE REFERENCES outgoing(id),  -- NULL only while the 审议意见书 is being drawn
    sent_to      TEXT CHECK (sent_to IS NULL OR length(trim(sent_to)) BETWEEN 1 AND 100),
    sent_at      REAL,
    sent_by      INTEGER REFERENCES people(id),
    deadline     REAL,
    report_document_id INTEGER REFERENCES documents(id),
    report_date  TEXT,  -- YYYY-MM-DD, the date on the report
    report_at    REAL,
    report_by    INTEGER REFERENCES people(id),
    report_source TEXT CHECK (report_source IS NULL OR report_source IN ('upload', 'usb')),
    assessment_item_id INTEGER UNIQUE REFERENCES agenda_items(id),
    assessment_poll_id INTEGER UNIQUE REFERENCES polls(id),
    assessed_at  REAL,
    assessed_by  INTEGER REFERENCES people(id),
    CHECK ((sent_at IS NULL) = (sent_to IS NULL) AND (sent_at IS NULL) = (deadline IS NULL)),
    CHECK (report_at IS NULL OR sent_at IS NOT NULL),
    CHECK ((report_at IS NULL) = (report_document_id IS NULL)),
    CHECK (assessment_poll_id IS NULL OR report_at IS NOT NULL)
) WITHOUT ROWID;
CREATE INDEX opinion_loops_deadline ON opinion_loops (deadline) WHERE report_at IS NULL;
