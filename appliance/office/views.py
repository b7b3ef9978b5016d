"""The office's pages: inbox, circulation, drafts for comment, sign-off and the archive.

Thin like every blueprint: parse the form, call the domain module, render or redirect. A
mistake the user can fix comes back as a flash message on the same page.
"""

import functools

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from appliance.devices import people
from appliance.errors import UserError
from appliance.i18n import gettext as _
from appliance.i18n import lazy_gettext as _l
from appliance.office import OFFICE_ROLES, archive, circulation, common, consultation, outgoing
from appliance.office.api import summary_response, upload
from appliance.rules.lockout import LockoutPolicy
from appliance.web import auth
from appliance.web.auth import page_login_required
from appliance.web.core import HOME_LINKS

bp = Blueprint("office", __name__, url_prefix="/office")
SIGNOFF_ROLES = (*OFFICE_ROLES, "leader")


class InboxLabel:
    """The home tile's label carries the number of things waiting ("办公 (3)")."""

    def __html__(self):
        return str(escape(str(self)))

    def __str__(self):
        label = _("Office inbox")
        person = g.get("person")
        if person is None:
            return label
        n = inbox_count(person)
        return f"{label}（{n}）" if n else label


HOME_LINKS.extend([
    (None, "office.inbox", InboxLabel()),
    (OFFICE_ROLES, "office.circulations", _l("Circulation")),
    (OFFICE_ROLES, "office.consultations", _l("Drafts for comment")),
    (SIGNOFF_ROLES, "office.outgoing_list", _l("Outgoing documents")),
    (None, "office.archive_page", _l("Archive and search")),
])


def inbox_count(person):
    return common.inbox_count(auth.store(), person.id)


def _back(default):
    target = request.form.get("next") or default
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


def action(view):
    """POST actions: a UserError becomes a flash on the page the user came from."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except UserError as e:
            if e.status in (401, 403, 404, 423) and e.code not in ("bad_credentials", "locked", "not_your_step"):
                raise
            flash(str(e.message), "error")
            return _back(request.referrer or url_for("office.inbox"))

    return wrapped


def new_page(template, create, done, to, **context):
    """A "new …" page: a POST creates the thing (`create()` returns its id) and goes to its page
    (`to(id)`) with the flash `done`; a mistake shows the form again, filled in, with the
    message and status 400."""
    error = None
    if request.method == "POST":
        try:
            new_id = create()
        except UserError as e:
            error = e.message
        else:
            flash(done, "ok")
            return redirect(to(new_id))
    return render_template(template, form=request.form, error=error, **context), (400 if error else 200)


def _ids(name):
    try:
        return [int(x) for x in request.form.getlist(name) if x]
    except ValueError:
        return []


def _people_choices(exclude=None):
    return [p for p in people.everyone(auth.store()) if p.id != exclude]


# ---- inbox ---------------------------------------------------------------------------------

@bp.get("/")
@page_login_required()
def inbox():
    st = auth.store()
    return render_template("office/inbox.html",
                           circulations=circulation.inbox(st, g.person, include_read=True)[:50],
                           unread=common.waiting(st, g.person.id)["circulations"],
                           consultations=consultation.waiting_for(st, g.person),
                           signoff=outgoing.pending_for(st, g.person.id))


# ---- circulation ---------------------------------------------------------------------------

@bp.get("/circulations")
@page_login_required(*OFFICE_ROLES)
def circulations():
    return render_template("office/circulations.html", rows=circulation.sent(auth.store(), g.person))


@bp.route("/circulations/new", methods=["GET", "POST"])
@page_login_required(*OFFICE_ROLES)
def circulation_new():
    def create():
        filename, blob = upload({})
        return circulation.send(auth.store(), g.person, request.form.get("title"), _ids("recipients"),
                                request.form.getlist("groups"), note=request.form.get("note", ""),
                                filename=filename, data=blob, classified=request.form.get("classified") == "1")

    return new_page("office/circulation_new.html", create, _("The document has been circulated."),
                    lambda cid: url_for("office.circulation_page", cid=cid),
                    people=_people_choices(g.person.id), groups=common.group_labels(), chosen=set(_ids("recipients")))


@bp.get("/circulations/<int:cid>")
@page_login_required()
def circulation_page(cid):
    st = auth.store()
    v = circulation.view(st, g.person, cid)
    if v["mine"] is not None and v["mine"]["opened_at"] is None:
        v["mine"] = circulation.mark_opened(st, g.person, cid)
    return render_template("office/circulation.html", **v)


@bp.post("/circulations/<int:cid>/read")
@page_login_required()
@action
def circulation_read(cid):
    circulation.confirm_read(auth.store(), g.person, cid, request.form.get("remark", ""))
    flash(_("Marked as read."), "ok")
    return redirect(url_for("office.circulation_page", cid=cid))


@bp.post("/circulations/<int:cid>/remind")
@page_login_required()
@action
def circulation_remind(cid):
    n = len(circulation.remind(auth.store(), g.person, cid))
    flash(_("A reminder was sent to %(n)d people.", n=n), "ok")
    return redirect(url_for("office.circulation_page", cid=cid))


@bp.post("/circulations/<int:cid>/close")
@page_login_required()
@action
def circulation_close(cid):
    circulation.close(auth.store(), g.person, cid)
    flash(_("The circulation is closed and filed in the archive."), "ok")
    return redirect(url_for("office.circulation_page", cid=cid))


# ---- drafts for comment --------------------------------------------------------------------

@bp.get("/consultations")
@page_login_required()
def consultations():
    return render_template("office/consultations.html", rows=consultation.listing(auth.store(), g.person),
                           manage=g.person.has(*OFFICE_ROLES))


@bp.route("/consultations/new", methods=["GET", "POST"])
@page_login_required(*OFFICE_ROLES)
def consultation_new():
    def create():
        filename, blob = upload({}, required=False)
        return consultation.publish_draft(auth.store(), g.person, request.form.get("title"), request.form.get("deadline"),
                                          _ids("recipients"), request.form.getlist("groups"),
                                          text=request.form.get("text") if blob is None else None,
                                          filename=filename, data=blob, note=request.form.get("note", ""))

    return new_page("office/consultation_new.html", create, _("The draft has been sent for comment."),
                    lambda cid: url_for("office.consultation_page", cid=cid),
                    people=_people_choices(g.person.id), groups=common.group_labels(), chosen=set(_ids("recipients")))


@bp.get("/consultations/<int:cid>")
@page_login_required()
def consultation_page(cid):
    v = consultation.view(auth.store(), g.person, cid)
    by_paragraph = {}
    for k in v["comments"]:
        by_paragraph.setdefault(k["paragraph"], []).append(k)
    return render_template("office/consultation.html", by_paragraph=by_paragraph, dispositions=consultation.DISPOSITIONS,
                           kinds=consultation.KINDS, **v)


@bp.post("/consultations/<int:cid>/comment")
@page_login_required()
@action
def consultation_comment(cid):
    para = request.form.get("paragraph", "")
    consultation.comment(auth.store(), g.person, cid, request.form.get("body", ""),
                         int(para) if para.isdigit() else None, request.form.get("kind", "comment"))
    flash(_("Your comment has been recorded."), "ok")
    return redirect(url_for("office.consultation_page", cid=cid) + (f"#p{para}" if para.isdigit() else ""))


@bp.post("/consultations/<int:cid>/no-comment")
@page_login_required()
@action
def consultation_no_comment(cid):
    consultation.no_comment(auth.store(), g.person, cid)
    flash(_("Recorded: no comments."), "ok")
    return redirect(url_for("office.consultation_page", cid=cid))


@bp.post("/consultations/comments/<int:comment_id>/disposition")
@page_login_required(*OFFICE_ROLES)
@action
def consultation_dispose(comment_id):
    row = consultation.dispose(auth.store(), g.person, comment_id, request.form.get("disposition"), request.form.get("reason", ""))
    flash(_("The response has been saved."), "ok")
    return redirect(url_for("office.consultation_page", cid=row["consultation_id"]) + f"#c{comment_id}")


@bp.get("/consultations/<int:cid>/summary.<fmt>")
@page_login_required(*OFFICE_ROLES)
def consultation_summary(cid, fmt):
    if fmt not in ("docx", "pdf"):
        return redirect(url_for("office.consultation_page", cid=cid))
    return summary_response(cid, fmt)


@bp.post("/consultations/<int:cid>/reissue")
@page_login_required(*OFFICE_ROLES)
@action
def consultation_reissue(cid):
    new_id = consultation.reissue(auth.store(), g.person, cid, request.form.get("text", ""), request.form.get("deadline"))
    flash(_("The new version has been sent for comment."), "ok")
    return redirect(url_for("office.consultation_page", cid=new_id))


@bp.post("/consultations/<int:cid>/close")
@page_login_required(*OFFICE_ROLES)
@action
def consultation_close(cid):
    consultation.close(auth.store(), g.person, cid)
    flash(_("Comments are closed; the summary sheet is filed in the archive."), "ok")
    return redirect(url_for("office.consultation_page", cid=cid))


# ---- sign-off ------------------------------------------------------------------------------

@bp.get("/outgoing")
@page_login_required(*SIGNOFF_ROLES)
def outgoing_list():
    return render_template("office/outgoing_list.html", rows=outgoing.listing(auth.store(), g.person),
                           labels=outgoing.STEP_LABELS, manage=g.person.has(*OFFICE_ROLES))


@bp.route("/outgoing/new", methods=["GET", "POST"])
@page_login_required(*OFFICE_ROLES)
def outgoing_new():
    st = auth.store()

    def create():
        steps = [{"step": kind, "person_id": int(pid)} for kind in outgoing.STEP_LABELS
                 if (pid := request.form.get(f"step_{kind}", "")).isdigit()]
        filename, blob = upload({})
        return outgoing.create(st, g.person, request.form.get("title"), request.form.get("kind"), filename, blob, steps,
                               _ids("distribution"), request.form.getlist("groups"),
                               classified=request.form.get("classified") == "1")

    return new_page("office/outgoing_new.html", create, _("The document is on its way through sign-off."),
                    lambda oid: url_for("office.outgoing_page", oid=oid),
                    people=_people_choices(), kinds=outgoing.kinds(st), labels=outgoing.STEP_LABELS,
                    defaults=dict(outgoing.default_steps(st, g.person)), groups=common.group_labels(),
                    chosen=set(_ids("distribution")))


@bp.get("/outgoing/<int:oid>")
@page_login_required()
def outgoing_page(oid):
    v = outgoing.view(auth.store(), g.person, oid)
    return render_template("office/outgoing.html", labels=outgoing.STEP_LABELS, decision_labels=outgoing.DECISION_LABELS,
                           names=common.names(auth.store(), v["distribution"]), **v)


@bp.post("/outgoing/<int:oid>/decide")
@page_login_required()
@action
def outgoing_decide(oid):
    cfg = auth.appliance().config
    f = request.form
    to = f.get("to_position", "")
    pos = f.get("position", "")
    try:
        _decision, fresh = outgoing.decide(auth.store(), g.person, oid, f.get("decision"), f.get("remark", ""),
                                   int(to) if to.isdigit() else None, f.get("request_key") or None,
                                   int(pos) if pos.isdigit() else None, f.get("pin"),
                                   LockoutPolicy(cfg.pin_attempts, cfg.lockout_seconds))
    except UserError as e:
        if e.code not in ("bad_credentials", "locked", "bad_pin", "pin_required"):
            raise
        # A wrong PIN at sign-off: the same page again with the typed remark kept (issue 14).
        flash(str(e.message), "error")
        v = outgoing.view(auth.store(), g.person, oid)
        return render_template("office/outgoing.html", labels=outgoing.STEP_LABELS, decision_labels=outgoing.DECISION_LABELS,
                               names=common.names(auth.store(), v["distribution"]), kept_remark=f.get("remark", ""),
                               kept_decision=f.get("decision"), **v), e.status
    if fresh:
        flash(_("Your decision has been recorded.") if f.get("decision") == "approve" else _("The document has been returned."), "ok")
    return redirect(url_for("office.outgoing_page", oid=oid))


@bp.post("/outgoing/<int:oid>/revise")
@page_login_required()
@action
def outgoing_revise(oid):
    filename, blob = upload({})
    v = outgoing.revise(auth.store(), g.person, oid, filename, blob, request.form.get("note", ""))
    flash(_("Version %(v)d has been uploaded.", v=v), "ok")
    return redirect(url_for("office.outgoing_page", oid=oid))


@bp.route("/numbering", methods=["GET", "POST"])
@page_login_required("staff", "admin")
def numbering():
    if request.method == "POST":
        try:
            outgoing.save_kind(auth.store(), g.person, request.form.get("kind", "").strip(), request.form.get("label"),
                               request.form.get("pattern", ""))
        except UserError as e:
            flash(str(e.message), "error")
        else:
            flash(_("Saved."), "ok")
        return redirect(url_for("office.numbering"))
    st = auth.store()
    issued = st.all("SELECT n.*, o.title FROM document_numbers n JOIN outgoing o ON o.id = n.outgoing_id "
                    "ORDER BY n.at DESC LIMIT 50")
    return render_template("office/numbering.html", kinds=outgoing.kinds(st), issued=issued)


# ---- archive -------------------------------------------------------------------------------

@bp.get("/archive")
@page_login_required()
def archive_page():
    st = auth.store()
    a = request.args
    q = a.get("q", "")
    searched = any(a.get(k) for k in ("q", "year", "kind", "category"))
    try:
        res = archive.search(st, g.person, q, a.get("year", type=int), a.get("kind") or None, a.get("category") or None,
                             offset=max(0, a.get("offset", 0, type=int)))
    except UserError as e:
        res = {"results": [], "total": 0, "terms": [], "notice": None}
        flash(str(e.message), "error")
    return render_template("office/archive.html", res=res, q=q, args=a, searched=searched, facets=archive.facets(st, g.person),
                           kinds=archive.KINDS, retention_label=archive.retention_label, highlight=highlight,
                           category_label=_category_label(st), may_file=archive.may_file(g.person), people=_people_choices() if archive.may_file(g.person) else [],
                           page=archive.PAGE)


def _category_label(st):
    """The archive's category in words: the codes the appliance files under by itself (a
    meeting's kind such as `standing`, an outgoing document's kind, consultation, circulation) in
    the reader's language; a category the office typed (收文) as typed."""
    from appliance.meetings import core

    words = {**{k: str(v) for k, v in core.KIND_LABELS.items()}, **{k: str(v) for k, v in archive.KINDS.items()},
             **{k["kind"]: k["label"] for k in outgoing.kinds(st)}}
    return lambda code: words.get(code, code)


def highlight(text, terms):
    """The excerpt with the search terms marked where the search matched them (ＡＢＣ for abc,
    预 算 for 预算), the text itself left as stored and escaped (it is the document's)."""
    text, out, at = text or "", [], 0
    for a, b in archive.term_spans(text, terms):
        out += [str(escape(text[at:a])), "<mark>", str(escape(text[a:b])), "</mark>"]
        at = b
    out.append(str(escape(text[at:])))
    return Markup("".join(out))


@bp.get("/archive/<int:entry_id>")
@page_login_required()
def archive_entry(entry_id):
    st = auth.store()
    e = archive.entry(st, g.person, entry_id)
    return render_template("office/archive_entry.html", e=e, kinds=archive.KINDS, retention_label=archive.retention_label,
                           category_label=_category_label(st),
                           labels=outgoing.STEP_LABELS, decision_labels=outgoing.DECISION_LABELS,
                           **archive.details(st, g.person, e))


@bp.post("/archive/file")
@page_login_required(*OFFICE_ROLES)
@action
def archive_file():
    f = request.form
    filename, blob = upload({})
    year = f.get("year", "")
    retention = f.get("retention", "default")
    entry_id = archive.file_document(
        auth.store(), g.person, f.get("title"), filename, blob, f.get("category", ""),
        int(year) if year.isdigit() else None,
        "default" if retention == "default" else (None if retention == "permanent" else int(retention) if retention.isdigit() else -1),
        classified=f.get("classified") == "1", readers=_ids("readers"))
    flash(_("The document has been filed."), "ok")
    return redirect(url_for("office.archive_entry", entry_id=entry_id))

