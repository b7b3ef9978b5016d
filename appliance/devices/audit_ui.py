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
    # Added with the annotations, opinions, notices, presenter, USB, clock and air-gap work.
    "annotation.carry": _l("Annotations carried to a new version"), "annotation.create": _l("Annotation written"),
    "annotation.delete": _l("Annotation erased"), "annotation.export": _l("Annotated copy downloaded"),
    "annotation.recall": _l("Annotations removed with the recall"), "annotation.share": _l("Annotation note shared"),
    "archive.file": _l("Filed in the archive"), "document.create": _l("Document stored"),
    "document.neutralise": _l("Document made safe to show"), "device.paired": _l("Device paired"),
    "pairing.invite": _l("Pairing code shown"), "pairing.request": _l("Tablet asked to pair"),
    "pairing.reused": _l("Used pairing code tried again"), "person.locked": _l("Sign-in locked after wrong PINs"),
    "leave.apply": _l("Leave decided"), "notice.send": _l("Meeting notice sent"), "notice.reply": _l("Meeting notice answered"),
    "notice.remind": _l("Notice reminder sent"), "opinion.give": _l("Deliberation opinion given"),
    "opinion.compile": _l("Deliberation opinions compiled"), "opinion.send": _l("Opinions sent for handling"),
    "opinion.report": _l("Handling report received"), "opinion.assess": _l("Handling report assessed"),
    "presenter.start": _l("Presenting started"), "presenter.hand_over": _l("Presenting handed over"),
    "presenter.stop": _l("Presenting stopped"), "store.init": _l("Store created"), "store.seal": _l("Store sealed"),
    "backup.written": _l("Backup written"), "usb.backup_stick": _l("Backup stick designated"),
    "usb.export": _l("Minutes exported to a USB stick"), "usb.export_refused": _l("USB export refused"),
    "usb.written": _l("Written to the USB stick"), "usb.write_failed": _l("Writing to the USB stick failed"),
    "usb.write_refused": _l("Writing to the USB stick refused"), "usb.import": _l("Document imported from a USB stick"),
    "usb.fetch": _l("Files read from the USB stick"), "usb.fetch_failed": _l("Reading the USB stick failed"),
    "usb.unlock": _l("Encrypted USB stick unlocked"), "usb.eject": _l("USB stick ejected"),
    "clock.confirm": _l("Device clock confirmed"), "clock.set": _l("Device clock set"),
    "airgap.seen": _l("Air gap: foreign network service seen"), "airgap.gone": _l("Air gap: foreign service gone"),
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
