"""Who voted what in a named poll (记名表决), for staff, as the minutes print it.

The list is given once the poll has closed, not while it is open: while members are still
voting, a list of choices on the secretary's console (which the room can often see) would tell
those who have not voted yet how the others did; the big screen and the console show only how
many have voted until the close, and the names then come with the result. A secret poll has no
such list by construction (nothing links a ballot to a person) and a show of hands counted no
names: both are refused with a 409 that says so.
"""

from appliance.errors import Conflict
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import polls


def named_list(store, poll_id):
    p = polls.get(store, poll_id)
    if p["mode"] != "named":
        raise Conflict("secret_poll", _l("This is a secret vote: who voted what is never recorded, so there is no list of names."))
    if p["status"] != "closed":
        raise Conflict("poll_not_closed", _l("The list of names is shown when the vote closes."))
    if p["method"] == "show_of_hands":
        raise Conflict("show_of_hands", _l("This vote was taken by show of hands; no names were recorded."))
    voters = store.all(
        "SELECT p.id, p.name, p.seat, v.choice FROM named_votes v JOIN people p ON p.id = v.person_id WHERE v.poll_id = ? "
        "ORDER BY p.seat IS NULL, p.seat, p.id", (poll_id,))
    return p, voters
