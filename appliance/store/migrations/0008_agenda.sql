-- Confidential agenda items (人事事项 and the like) and the big screen's reveal.
--
-- A confidential item is hidden from non-voting attendees (列席) with its materials, polls and
-- results, as if it did not exist (appliance/meetings/confidential.py). The big screen shows it
-- only as a generic "personnel matter" until the chair reveals it there; `screen_revealed_at`
-- records when (NULL: not shown, or hidden again). Members and staff always see it in full.
-- The order in which polls were actually held needs nothing new: polls.opened_at holds it.

ALTER TABLE agenda_items ADD COLUMN confidential INTEGER NOT NULL DEFAULT 0 CHECK (confidential IN (0, 1));
ALTER TABLE agenda_items ADD COLUMN screen_revealed_at REAL;
