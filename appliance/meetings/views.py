"""Pages of the meeting room: the list, the member's tablet, the secretary's console, the big
screen. They are shells: the state comes from the API and live updates from /api/v1/events."""

import datetime

from flask import Blueprint, g, redirect, render_template, request, url_for

from appliance.documents.views import READER_BALLOT
from appliance.errors import UserError
from appliance.i18n import lazy_gettext as _l
from appliance.i18n import select_locale
from appliance.meetings import agenda_ui, core, floor, polls, scrutiny_views, sheet_views, ux_ui
from appliance.web import auth
from appliance.web.auth import page_login_required
from appliance.web.core import HOME_LINKS, HOME_PANELS

bp = Blueprint("meetings", __name__)
HOME_LINKS.insert(0, (None, "meetings.index", _l("Meetings")))


def _current_meetings(store, person):
    """A member's meetings in session or upcoming, as big buttons on the start page."""
    from appliance.i18n import gettext as _

    for m in core.my_meetings(store, person):
        if m["status"] != "closed":
            note = _("In session") if m["status"] == "open" else _("Upcoming")
            yield url_for("meetings.tablet", meeting_id=m["id"]), m["title"], note


HOME_PANELS.append(_current_meetings)


def labels():
    """The words the meeting pages' scripts show, in the reader's language."""
    from appliance.i18n import gettext as _

    return {
        "locale": select_locale(),  # which of a result's `words` to show (appliance/meetings/result_words.py)
        "choices": {k: str(v) for k, v in polls.CHOICE_LABELS.items()},
        "modes": {k: str(v) for k, v in polls.MODE_LABELS.items()},
        "rules": {k: str(v) for k, v in polls.RULE_LABELS.items()},
        "items": {k: str(v) for k, v in core.ITEM_LABELS.items()},
        "service": {k: str(v) for k, v in floor.SERVICE_LABELS.items()},
        "status": {"expected": _("Not signed in"), "present": _("Signed in"), "excused": _("Excused")},
        "poll_status": {"draft": _("Not opened"), "open": _("Voting"), "closed": _("Closed")},
        "warnings": {
            "amendment_after_bill": _("An amendment is placed after the bill it amends; vote the amendment first."),
            "regulation_after_other": _("A regulation comes after another item; laws and regulations are voted first."),
            "appoint_before_remove": _("An appointment comes before the removal from the same post; remove first (先免后任)."),
        },
        "passed": _("Passed"), "failed": _("Not passed"), "show_of_hands": _("Show of hands"),
        "submitted": _("Your vote is submitted and counted."), "your_tracker": _("Your tracker code"),
        "confirm_first": _("Choose Yes, No or Abstain, then press Submit."), "network": _("No connection. Your vote was not sent yet; press Submit again."),
        "updated": _("Updated"), "classified": _("Classified"), "no_materials": _("No materials yet."),
        "your_ballot_found": _("Your ballot is in the list and counted as you cast it."),
        "your_ballot_missing": _("Your tracker is not in the list. Tell the secretary at once."),
        "reason_prompt": _("Reason"), "excuse": _("Excuse"), "proxy": _("Sign in for them"),
        "open": _("Open the vote"), "close": _("Close the vote"), "hands": _("Enter show of hands"),
        "not_voted": _("Not voted yet"), "cast_of": _("%(cast)s of %(eligible)s have voted"),
        "quorum_met": _("Quorum met"), "quorum_not_met": _("No quorum"), "speaking": _("Speaking"), "give_floor": _("Give the floor"),
        "done": _("Done"), "handled": _("Handled"), "replace": _("Replace"), "countdown": _("Seconds (optional)"),
        "recalled": _("The meeting is closed; its materials have been recalled."),
        "signed_in": _("You are signed in."), "voted_already": _("You have voted in this poll."),
        "create_poll": _("Add a vote"), "minutes": _("Minutes"),
        "agenda": agenda_ui.labels(),
        "sheet": sheet_views.labels(),  # ballot sheets: appliance/meetings/sheet_views.py
        "paper": scrutiny_views.labels(),
        "ux": ux_ui.labels(),  # the full-screen ballot, the confirm dialog: appliance/meetings/ux_ui.py
        "counts": {"membership": _("Expected"), "present": _("Present"), "excused": _("Excused"), "absent": _("Absent"),
                   "attendees": _("Attending, non-voting")},
    }


def _reader_ballot(store, person, meeting_id):
    """A voting member reading a material of this meeting gets the ballot sheet over the reader."""
    me = core.participant(store, meeting_id, person.id)
    return labels() if me is not None and me["capacity"] == "member" else None


READER_BALLOT.append(_reader_ballot)


@bp.get("/meetings")
@page_login_required()
def index():
    st = auth.store()
    return render_template("meetings/index.html", meetings=core.my_meetings(st, g.person), kinds=core.KIND_LABELS,
                           can_create=g.person.has(*core.STAFF_ROLES))


@bp.route("/meetings/new", methods=["GET", "POST"])
@page_login_required(*core.STAFF_ROLES)
def new():
    error, form = None, request.form
    if request.method == "POST":
        try:
            when = datetime.datetime.fromisoformat(form.get("starts_at", "")).timestamp()
        except ValueError:
            error = _l("Enter the date and time of the meeting.")
        else:
            try:
                mid = core.create(auth.store(), g.person.id, form.get("kind"), form.get("title"), when,
                                  form.get("room") or auth.appliance().settings.room)
                return redirect(url_for("meetings.console", meeting_id=mid))
            except UserError as e:
                error = e.message
    return render_template("meetings/new.html", kinds=core.KIND_LABELS, error=error, form=form), (400 if error else 200)


@bp.get("/meetings/<int:meeting_id>")
@page_login_required()
def tablet(meeting_id):
    st = auth.store()
    m = core.get(st, meeting_id)
    if core.participant(st, meeting_id, g.person.id) is None:
        if g.person.has(*core.STAFF_ROLES):
            return redirect(url_for("meetings.console", meeting_id=meeting_id))
        raise UserError("not_expected", _l("You are not on the list of this meeting. Please ask the staff."), status=403)
    return render_template("meetings/tablet.html", meeting=m, labels=labels())


@bp.get("/meetings/<int:meeting_id>/console")
@page_login_required(*core.STAFF_ROLES)
def console(meeting_id):
    m = core.get(auth.store(), meeting_id)
    return render_template("meetings/console.html", meeting=m, labels=labels(), item_kinds=core.ITEM_LABELS,
                           rules=polls.RULE_LABELS, modes=polls.MODE_LABELS)


@bp.get("/screen/<int:meeting_id>")
@page_login_required(*core.STAFF_ROLES)
def screen(meeting_id):
    m = core.get(auth.store(), meeting_id)
    return render_template("meetings/screen.html", meeting=m, labels=labels())
