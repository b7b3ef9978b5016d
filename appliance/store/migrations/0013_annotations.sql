-- A member's annotations (批注) on a document: pen strokes, highlighter strokes and text notes,
-- each on one page of the version it is shown on, in page-normalised coordinates (0..1 of the
-- page as displayed, so zoom and re-rendering do not matter). Private to the person who wrote
-- it unless `shared` (a note shared with the meeting the document is a material of).
--
-- When staff replace the document the rows move to the new version (version_id) and keep the
-- number of the version they were written on (written_on), which the reader shows. A recalled
-- material's annotations are deleted with its readers' access (secure_delete zeroes them).

CREATE TABLE annotations (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version_id  INTEGER NOT NULL REFERENCES document_versions(id) ON DELETE CASCADE,
    written_on  INTEGER NOT NULL CHECK (written_on >= 1),
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    page        INTEGER NOT NULL CHECK (page >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('pen', 'highlighter', 'note')),
    colour      TEXT NOT NULL CHECK (colour IN ('black', 'red', 'blue', 'green', 'yellow', 'pink')),
    geometry    TEXT NOT NULL CHECK (json_valid(geometry) AND length(geometry) <= 200000),
    note        TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    shared      INTEGER NOT NULL DEFAULT 0 CHECK (shared IN (0, 1)),
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    CHECK (kind = 'note' OR note = ''),
    CHECK (kind <> 'note' OR length(trim(note)) >= 1)
);
CREATE INDEX annotations_of_document ON annotations (document_id, person_id, page);
