"""The demo committee with known PINs, for trying the appliance and for tests (`yishi demo`
in cli.py creates the store around it).

15 members (seat 1 also chairs), 2 non-voting attendees, a secretary, office staff, a leader
and an admin. The PINs are printed once; they are for demonstrations only.
"""

from appliance.devices import people
from appliance.errors import StoreError

MEMBERS = ["王建国", "李秀英", "张伟", "刘芳", "陈静", "杨勇", "赵敏", "黄磊", "周婷", "吴强",
           "徐丽", "孙涛", "马军", "朱红", "胡斌"]
ATTENDEES = ["郭明", "何平"]
DEMO_PASSPHRASE_FILE = "demo-passphrase.txt"


def member_pin(seat):
    return f"1111{seat:02d}"


def roster():
    """(name, roles, seat, pin, username, password) for everyone in the demo."""
    rows = []
    for seat, name in enumerate(MEMBERS, start=1):
        rows.append((name, ["member", "chair"] if seat == 1 else ["member"], seat, member_pin(seat), None, None))
    for i, name in enumerate(ATTENDEES, start=1):
        rows.append((name, ["attendee"], None, f"2222{i:02d}", None, None))
    rows += [
        ("林晓", ["secretary"], None, "333333", "secretary", "yishi-secretary"),
        ("罗佳", ["staff"], None, "444444", "staff", "yishi-staff"),
        ("高远", ["leader"], None, "555555", "leader", "yishi-leader"),
        ("系统管理员", ["admin"], None, "999999", "admin", "yishi-admin"),
    ]
    return rows


def populate(store, actor="demo"):
    if store.scalar("SELECT count(*) FROM people"):
        return False
    for name, roles, seat, pin, username, password in roster():
        people.create(store, actor, name, roles, seat=seat, pin=pin, username=username, password=password)
    return True


__all__ = ["populate", "roster", "StoreError", "DEMO_PASSPHRASE_FILE"]
