"""What a notice costs (appliance/meetings/notices.py): sending to the demo committee (17 people), a 出席 and a
请假 reply, against a plain leave.ask, each the median of 20 meetings in a fresh store: `python -m bench.notices`."""

import os
import statistics
import tempfile
import time

from appliance import demo
from appliance.devices import people
from appliance.meetings import core, leave, notices
from tests.conftest import make_store

d = tempfile.mkdtemp()
st, _ = make_store(os.path.join(d, "data"))
demo.populate(st)
sec = people.everyone(st, role="secretary")[0]
members = people.everyone(st, role="member")


def t(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


send, attend, leave_reply, ask = [], [], [], []
for i in range(20):
    mid = core.create(st, sec.id, "standing", f"会议{i}", time.time() + 86400, room="一室")
    send.append(t(lambda: notices.send(st, sec, mid)))
    attend.append(t(lambda: notices.reply(st, members[1], mid, "attend")))
    leave_reply.append(t(lambda: notices.reply(st, members[2], mid, "leave", "出差")))
    ask.append(t(lambda: leave.ask(st, members[3], "出差", meeting_id=mid)))
m = statistics.median
print(f"median ms: send(17) {m(send)*1000:.2f}  reply attend {m(attend)*1000:.2f}  reply leave {m(leave_reply)*1000:.2f}  leave.ask {m(ask)*1000:.2f}")
print(f"ratios to leave.ask: send {m(send)/m(ask):.2f}  attend {m(attend)/m(ask):.2f}  leave {m(leave_reply)/m(ask):.2f}")
