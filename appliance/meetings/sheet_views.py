"""The words the ballot-sheet script (webui/static/js/sheet-ballot.js) shows, in the reader's language."""

from appliance.i18n import lazy_gettext as _l

LABELS = {
    "assessment": {"satisfied": _l("Satisfied"), "basically": _l("Basically satisfied"), "unsatisfied": _l("Unsatisfied")},
    "counts": {"void": _l("Void ballots"), "not_voted": _l("Did not vote")},
    "appoint": _l("Appoint"), "remove": _l("Remove from post"),
    "cap": _l("Yes marks: %(yes)s of at most %(seats)s (write-ins included)"),
    "too_many": _l("You can mark Yes for at most %(seats)s people (write-ins included). Change another Yes to No or Abstain first."),
    "write_in": _l("Write in another person (另选他人)"), "choose_person": _l("Choose from the roll"),
    "add_write_in": _l("Add as Yes"), "remove_write_in": _l("Take back"),
    "confirm": _l("Mark the sheet, then press Submit."),
    "kinds": {"motion": _l("Motion"), "assessment": _l("Satisfaction assessment (满意度测评)"),
              "appointment": _l("Appointment sheet (任免)"), "election": _l("Election with candidates (选举)")},
    "kind": _l("Kind of ballot"), "seats": _l("Seats"), "lines": _l("Nominees or candidates, one per line"),
    "lines_hint": _l("Name, or for an appointment: name / post / remove"), "by_election": _l("By-election (补选)"),
    "add_sheet": _l("Add an assessment, appointment sheet or election"), "round_of": _l("round %(round)s, %(seats)s seats"),
    "next_round": {"runoff": _l("Create the new round among the tied"), "further": _l("Create the further round (另行选举)"),
                   "again": _l("Create the round again")},
}


def labels():
    def plain(v):
        return {k: plain(x) for k, x in v.items()} if isinstance(v, dict) else str(v)

    return plain(LABELS)
