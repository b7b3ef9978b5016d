"""The words the console's agenda tools (webui/static/js/agenda-console.js) and the big screen
show: order buttons, confidential items and the reveal, the named list. Merged into
appliance.meetings.views.labels() under "agenda"."""


def labels():
    from appliance.i18n import gettext as _

    return {
        "up": _("Move the item up"), "down": _("Move the item down"), "drag": _("Drag an item to put it elsewhere in the agenda"),
        "held": _("Voted on: keeps its number"),
        "confidential": _("Hidden from non-voting attendees"),
        "mark": _("Hide from non-voting attendees"), "unmark": _("Show to non-voting attendees"),
        "reveal": _("Show its title on the big screen"), "unreveal": _("Show it as a personnel matter on the big screen"),
        "revealed": _("Shown on the big screen"),
        "named": _("Who voted what"), "named_none": _("Nobody voted."),
        "held_warning": _("(already voted: this can no longer be changed, the minutes record it)"),
        "generic": _("Personnel matter"),
    }
