"""The audit page in words (issue 14): what each action code means, who the numeric actor is,
and the detail as "key: value" lines, a page of 50 entries at a time. Catalogue: area ux."""

import json

from appliance.i18n import lazy_gettext as _l

PAGE = 50
ACTIONS = {
    "agenda.add": _l("Agenda item added"), "agenda.confidential": _l("Agenda item hidden or shown to attendees"),
    "agenda.order": _l("Agenda reordered"), "agenda.reveal": _l("Item title shown on the big screen"),
    "circulation.close": _l("Circulation closed and filed"), "circulation.read": _l("Circulation read"),
    "circulation.remind": _l("Readers reminded"), "circulation.send": _l("Circulation sent"),
    "consultation.comment": _l("Comment on a draft"), "consultation.dispose": _l("Comment disposed of"),
    "consultation.no_comment": _l("No comment on a draft"), "consultation.publish": _l("Draft published for comment"),
    "device.revoke": _l("Device revoked"), "document.replace": _l("Document replaced"), "document.view": _l("Document opened"),
    "leave.ask": _l("Leave asked"), "leave.withdraw": _l("Leave withdrawn"),
    "material.add": _l("Material added"), "material.publish": _l("Materials sent"), "material.recall": _l("Materials recalled"),
    "meeting.close": _l("Meeting closed"), "meeting.create": _l("Meeting created"), "meeting.excuse": _l("Member excused"),
    "meeting.membership": _l("Membership of the meeting set"), "meeting.minutes": _l("Minutes made"),
    "meeting.signin": _l("Signed in to the meeting"), "meeting.signin_open": _l("Sign-in opened"),
    "numbering.kind": _l("Document numbering changed"), "outgoing.create": _l("Outgoing document started"),
    "paper.sheets": _l("Paper ballots printed"), "person.create": _l("Person added"), "person.pin_reset": _l("PIN changed"),
    "person.unlock": _l("Sign-in unlocked"), "poll.close": _l("Vote closed"), "poll.create": _l("Vote added"),
    "poll.hand_count": _l("Paper ballots counted"), "poll.next_round": _l("Next round of an election"),
    "poll.open": _l("Vote opened"), "poll.paper": _l("Vote moved to paper ballots"), "poll.show_of_hands": _l("Show of hands entered"),
    "scrutineers.designate": _l("Scrutineers designated"), "setting.change": _l("Setting changed"),
    "store.unlock": _l("Store unlocked"), "tally.entry": _l("Scrutineer's count entered"), "tally.mismatch": _l("Scrutineers' counts differ"),
}


def rows(store, before=None):
    """One page of entries, newest first, with names and words; and the seq to go on from."""
    if before:
        got = store.all("SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?", (before, PAGE + 1))
    else:
        got = store.all("SELECT * FROM audit ORDER BY seq DESC LIMIT ?", (PAGE + 1,))
    names = {str(r["id"]): r["name"] for r in store.all("SELECT id, name FROM people")}
    out = []
    for e in got[:PAGE]:
        try:
            detail = json.loads(e["detail"]) if e["detail"] else {}
        except (TypeError, ValueError):
            detail = e["detail"]
        lines = [f"{k}: {v}" for k, v in detail.items()] if isinstance(detail, dict) else [str(detail)]
        actor = str(e["actor"])
        out.append({"seq": e["seq"], "at": e["at"], "actor": names.get(actor, actor), "action": str(ACTIONS.get(e["action"], e["action"])),
                    "code": e["action"], "detail": lines})
    return out, (got[PAGE - 1]["seq"] if len(got) > PAGE else None)
