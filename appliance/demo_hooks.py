"""Areas add demo content here: each hook is `hook(store, fresh) -> [lines to print]`."""

def _meetings(store, fresh):
    from appliance.meetings.demo import add_demo

    return add_demo(store, fresh)


def _office(store, fresh):
    from appliance.office.demo import add_demo

    return add_demo(store, fresh)


def _leave(store, fresh):
    from appliance.meetings.leave import add_demo

    return add_demo(store, fresh)


HOOKS = [_meetings, _office, _leave]
