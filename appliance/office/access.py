"""Who sees what others did with a shared office object (object-level access).

Reading an object's document (library.can_read) lets a person open it; what they then see of
the other people's part in it is decided here, once, for the pages, the API and the archive
search alike:

- a circulation (传阅): its sender and the office staff see every receipt and remark (阅示 /
  批示) with names and times; a recipient sees their own receipt;
- a draft for comment (征求意见稿), every version of it: its drafter and the office staff see
  every comment with its author; an invitee sees their own comments and the responses to them;
- an outgoing document (发文): the people of its steps, and its drafter and the office staff
  when they may read it, see the sign-off trail (who checked and signed, and their remarks);
  the distribution list receives the document and its number, not the trail.

The receipt and comment rules are SQL conditions, so a list and the search filter by the very
same condition rather than by two that could drift apart.
"""

from appliance.documents import library
from appliance.office import OFFICE_ROLES


def manages(person, owner_id):
    """The sender or drafter of an object, and the office staff, see all of it."""
    return person.id == owner_id or person.has(*OFFICE_ROLES)


def _rule(person, owner, own):
    """(SQL condition, params): `manages` over rows, plus the person's own rows. `owner` is
    the column of the object's sender or drafter, `own` the column of the row's person."""
    if person.has(*OFFICE_ROLES):
        return "1", ()
    return f"({owner} = ? OR {own} = ?)", (person.id, person.id)


def receipt_rule(person):
    """The receipts (and remarks) `person` may see, on `circulation_recipients r` joined to
    `circulations c`."""
    return _rule(person, "c.sender_id", "r.person_id")


def visible_receipts(store, person, circulation):
    """The receipts of one circulation that `person` may see, unread first, then by time and seat."""
    rule, params = receipt_rule(person)
    return store.all(
        "SELECT r.*, p.name, p.seat FROM circulation_recipients r JOIN circulations c ON c.id = r.circulation_id "
        f"JOIN people p ON p.id = r.person_id WHERE r.circulation_id = ? AND {rule} "
        "ORDER BY r.read_at IS NULL DESC, r.read_at, p.seat IS NULL, p.seat, p.id", (circulation["id"], *params))


def comment_rule(person):
    """The comments `person` may see, on `consultation_comments k` joined to `consultations c`."""
    return _rule(person, "c.created_by", "k.author_id")


def visible_comments(store, person, consultation):
    """The comments on one version that `person` may see, grouped by paragraph (the whole draft
    first), in time order within each, with the paragraph's text and who responded."""
    rule, params = comment_rule(person)
    return _comments(store, consultation["id"], rule, params)


def all_comments(store, consultation_id):
    """Every comment on one version, for the opinion summary sheet (意见汇总表): its callers
    hand it only to the drafter and the office staff."""
    return _comments(store, consultation_id, "1", ())


def _comments(store, consultation_id, rule, params):
    return store.all(
        "SELECT k.*, p.name AS author_name, cp.text AS original, d.name AS decided_by_name "
        "FROM consultation_comments k JOIN consultations c ON c.id = k.consultation_id "
        "JOIN people p ON p.id = k.author_id LEFT JOIN people d ON d.id = k.decided_by "
        "LEFT JOIN consultation_paragraphs cp ON cp.consultation_id = k.consultation_id AND cp.number = k.paragraph "
        f"WHERE k.consultation_id = ? AND {rule} ORDER BY k.paragraph IS NOT NULL, k.paragraph, k.created_at, k.id",
        (consultation_id, *params))


def may_see_trail(store, person, outgoing):
    """The step people always; the drafter and the office staff if they may read the document
    (a classified one only with a grant)."""
    if store.one("SELECT 1 FROM outgoing_steps WHERE outgoing_id = ? AND person_id = ?", (outgoing["id"], person.id)):
        return True
    return manages(person, outgoing["created_by"]) and library.can_read(store, person, outgoing["document_id"])


def visible_trail(store, person, outgoing):
    """The sign-off decisions of one outgoing document, in order, if `person` may see them."""
    if not may_see_trail(store, person, outgoing):
        return []
    return store.all("SELECT d.*, p.name FROM outgoing_decisions d JOIN people p ON p.id = d.person_id "
                     "WHERE d.outgoing_id = ? ORDER BY d.at, d.id", (outgoing["id"],))
