"""The words of the full-screen ballot on the tablet (webui/static/js/tablet.js), the console's
confirm dialog and the big screen's states. Merged into appliance.meetings.views.labels() under
"ux"; their catalogue is the area webui/translations/ux/."""


def labels():
    from appliance.i18n import gettext as _

    return {
        "confirm_q": _("You chose: %(choice)s. Submit this vote?"),
        "confirm_sheet": _("You marked: %(choice)s. Submit this ballot?"),
        "confirm_submit": _("Confirm and submit"),
        "change": _("Back: change my choice"),
        "sending": _("Sending your vote…"),
        "done_title": _("You have voted"),
        "your_choice": _("Your choice: %(choice)s"),
        "tracker_is": _("Your tracker code: %(code)s"),
        "expired": _("Time is up: voting has ended. This ballot can no longer be submitted."),
        "back": _("Back to the meeting"),
        "back_to_document": _("Back to the document"),
        "sign_in_first": _("A vote is open: please sign in first"),
        "ask_staff": _("Sign-in is not open on this tablet: please ask the staff."),
        "blank_sheet": _("no marks (all abstain)"),
        "close_poll_q": _("Close the vote now? Members who have not voted can no longer vote, and the result is announced at once. This cannot be undone."),
        "no_vote_open": _("No vote is open."),
        "not_voted_n": _("Not voted yet: %(n)s"),
        "done_ok": _("Done."),
        "vote_again": _("Another vote on this item"),
        "quorum_is": _("Quorum: %(n)s members"), "not_signed_in": _("Not signed in yet"), "signin_not_open": _("Sign-in has not opened"),
        "closed": _("The meeting is closed"), "closed_note": _("Thank you. The materials have been recalled from the tablets."),
        "needed": _("%(rule)s · %(needed)s votes needed"),
        "aside": _(" (%(x)s)"), "attendee": _("%(name)s (non-voting)"), "with_reason": _("%(status)s: %(reason)s"),
        "item_state": {"none": _("Not yet voted on"), "draft": _("Not yet voted on"), "open": _("Voting now"),
                       "passed": _("Passed"), "failed": _("Not passed"), "done": _("Voted")},
    }
