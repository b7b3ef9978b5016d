"""The pages of 审议意见 (appliance/office/opinions.py): a meeting's items, each with its
发表审议意见 action, for the member's tablet; 我的审议意见; the office's list of every loop,
overdue first; and one item's loop, with the office's actions at each step."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from appliance.devices import people
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.office import OFFICE_ROLES, opinions, outgoing
from appliance.office.api import upload
from appliance.office.opinions_api import document_response, now
from appliance.office.views import action
from appliance.web import auth
from appliance.web.auth import page_login_required
from appliance.web.core import HOME_LINKS

bp = Blueprint("opinions", __name__, url_prefix="/office")
HOME_LINKS.extend([
    (OFFICE_ROLES, "opinions.opinion_loops", _l("Deliberation opinions")),
    (("member", "attendee"), "opinions.opinions_mine", _l("My deliberation opinions")),
])


def _context():
    return {"state_labels": opinions.STATE_LABELS, "step_labels": opinions.STEP_LABELS, "source_labels": opinions.SOURCE_LABELS}


@bp.get("/opinions")
@page_login_required(*OFFICE_ROLES)
def opinion_loops():
    rows = opinions.listing(auth.store(), g.person, now())
    return render_template("opinions/list.html", rows=rows, overdue=sum(1 for r in rows if r["overdue"]), **_context())


@bp.get("/opinions/mine")
@page_login_required()
def opinions_mine():
    return render_template("opinions/mine.html", rows=opinions.mine(auth.store(), g.person, now()), **_context())


@bp.get("/opinions/meetings/<int:meeting_id>")
@page_login_required()
def opinions_meeting(meeting_id):
    m, items = opinions.meeting_items(auth.store(), g.person, meeting_id)
    return render_template("opinions/meeting.html", meeting=m, items=items, max_len=opinions.MAX_OPINION,
                           office=g.person.has(*OFFICE_ROLES), **_context())


@bp.post("/opinions/meetings/<int:meeting_id>/items/<int:item_id>")
@page_login_required()
@action
def opinion_give(meeting_id, item_id):
    opinions.give(auth.store(), g.person, item_id, request.form.get("body", ""), meeting_id=meeting_id, now=now())
    flash(_("Your opinion has been recorded."), "ok")
    return redirect(url_for("opinions.opinions_meeting", meeting_id=meeting_id) + f"#item-{item_id}")


@bp.get("/opinions/items/<int:item_id>")
@page_login_required()
def opinion_loop(item_id):
    st = auth.store()
    x = opinions.loop(st, g.person, item_id, now())
    extra = {}
    if x["office"]:
        extra = {"participants": opinions.participants(st, item_id), "meetings": opinions.later_meetings(st, item_id),
                 "organs": opinions.ORGANS, "default_steps": dict(outgoing.default_steps(st, g.person)),
                 "step_kinds": outgoing.STEP_LABELS, "people": people.everyone(st)}
    return render_template("opinions/loop.html", x=x, it=x["item"], max_len=opinions.MAX_OPINION, **extra, **_context())


def _to_loop(item_id, message):
    flash(message, "ok")
    return redirect(url_for("opinions.opinion_loop", item_id=item_id))


@bp.post("/opinions/items/<int:item_id>/enter")
@page_login_required(*OFFICE_ROLES)
@action
def opinion_enter(item_id):
    person = request.form.get("person", "")
    opinions.give(auth.store(), g.person, item_id, request.form.get("body", ""),
                  on_behalf_of=int(person) if person.isdigit() else -1, now=now())
    return _to_loop(item_id, _("The opinion has been entered on the member's behalf."))


@bp.post("/opinions/items/<int:item_id>/compile")
@page_login_required(*OFFICE_ROLES)
@action
def opinion_compile(item_id):
    steps = [{"step": kind, "person_id": int(pid)} for kind in outgoing.STEP_LABELS
             if (pid := request.form.get(f"step_{kind}", "")).isdigit()]
    opinions.compile_(auth.store(), g.person, item_id, steps or None, now=now())
    return _to_loop(item_id, _("The opinions are compiled; the deliberation opinions are on their way through sign-off."))


@bp.post("/opinions/items/<int:item_id>/send")
@page_login_required(*OFFICE_ROLES)
@action
def opinion_send(item_id):
    f = request.form
    to = f.get("to_other", "").strip() or f.get("to", "")
    opinions.send(auth.store(), g.person, item_id, to, f.get("deadline", ""), now=now())
    return _to_loop(item_id, _("The deliberation opinions have been sent."))


@bp.post("/opinions/items/<int:item_id>/report")
@page_login_required(*OFFICE_ROLES)
@action
def opinion_report(item_id):
    filename, blob = upload({})
    opinions.receive_report(auth.store(), g.person, item_id, filename, blob, request.form.get("report_date", ""), now=now())
    return _to_loop(item_id, _("The handling report has been recorded."))


@bp.post("/opinions/items/<int:item_id>/assess")
@page_login_required(*OFFICE_ROLES)
@action
def opinion_assess(item_id):
    meeting = request.form.get("meeting", "")
    opinions.assess(auth.store(), g.person, item_id, int(meeting) if meeting.isdigit() else -1,
                    settings=auth.appliance().settings, now=now())
    return _to_loop(item_id, _("The satisfaction assessment is on the agenda of that meeting."))


@bp.get("/opinions/items/<int:item_id>/document.<fmt>")
@page_login_required(*OFFICE_ROLES)
def opinion_document(item_id, fmt):
    if fmt not in ("docx", "pdf"):
        return redirect(url_for("opinions.opinion_loop", item_id=item_id))
    return document_response(item_id, fmt)
