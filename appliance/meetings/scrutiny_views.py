"""The scrutineer's page (监票人计票录入): big inputs for each counter of a paper poll, who is
entering and their PIN, and the state of both entries, live. A shell like the other meeting
pages: the state comes from /api/v1/polls/<id>/paper."""

from flask import Blueprint, g, render_template

from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import confidential, core, polls, scrutiny
from appliance.web import auth
from appliance.web.auth import page_login_required

bp = Blueprint("scrutiny", __name__)


def labels():
    """The words the paper pages' scripts show, in the reader's language."""
    from appliance.i18n import gettext as _

    return {
        "hand_count": _("Hand count (paper ballots)"),
        "on_paper": _("This vote is on paper ballots: mark the paper ballot you are handed."),
        "enter_count": _("Enter the count (scrutineers)"),
        "to_paper": _("Switch to paper ballots"),
        "print_sheets": _("Print ballot sheets"),
        "roll_call": _("Print the roll-call sheet"),
        "designate": _("Designate scrutineers"),
        "scrutineers": _("Scrutineers"),
        "none_yet": _("None designated yet"),
        "entries": _("Entries"),
        "entered_by": _("Entered by %(name)s"),
        "waiting_first": _("No entry yet: two scrutineers enter the count, each on their own."),
        "waiting_second": _("One entry so far: it is accepted when a second scrutineer's entry agrees with it."),
        "mismatch": _("The last two entries differed in: %(counts)s. Nothing was counted; count again and enter again."),
        "accepted": _("The two entries agreed: the count is accepted."),
        "sheets_issued": _("%(n)s sheets issued"),
        "present": _("Members present"),
        "round": _("Round %(n)s"),
        "choose_two": _("Tick at least two people on the meeting's list."),
        "sheet_count": _("Sheets"),
        "pin": _("PIN"),
        "counting": _("Paper ballots: the scrutineers are counting"),
    }


@bp.get("/polls/<int:poll_id>/tally")
@page_login_required()
def tally(poll_id):
    st = auth.store()
    p = confidential.poll_for(st, g.person, poll_id)
    if not core.may_follow(st, g.person, p["meeting_id"]):
        raise UserError("not_expected", _l("You are not on the list of this meeting. Please ask the staff."), status=403)
    m = core.get(st, p["meeting_id"])
    return render_template("meetings/tally.html", meeting=m, poll=p, labels=labels(),
                           scrutineers=scrutiny.scrutineers(st, p), counters=scrutiny.counters(st, p))
