"""`yishi demo`: a demo committee with known PINs, for trying the appliance and for tests.

15 members (seat 1 also chairs), 2 non-voting attendees, a secretary, office staff, a leader
and an admin. The PINs are printed once; they are for demonstrations only.
"""

import os
import secrets

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


def main(args):
    from appliance.cli import _unlock, cmd_init
    from appliance.store.keys import Keyring

    if Keyring.load(args.data) is None and not args.key_file:
        os.makedirs(args.data, mode=0o700, exist_ok=True)
        if not args.passphrase_file:
            args.passphrase_file = os.path.join(args.data, DEMO_PASSPHRASE_FILE)
            if not os.path.exists(args.passphrase_file):
                fd = os.open(args.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write("demo-" + secrets.token_urlsafe(12) + "\n")
        for attr in ("room", "ssid", "wifi_passphrase", "public_url"):
            setattr(args, attr, None)
        args.secrets_only = False
        cmd_init(args)
    elif not args.passphrase_file and not args.key_file:
        candidate = os.path.join(args.data, DEMO_PASSPHRASE_FILE)
        if os.path.exists(candidate):
            args.passphrase_file = candidate
    store = _unlock(args)
    try:
        created = populate(store)
        extra = []
        from appliance import demo_hooks

        for hook in demo_hooks.HOOKS:
            extra.extend(hook(store, created) or [])
    finally:
        store.close()
    if not created:
        print(f"{args.data}: the demo committee is already there; nothing changed")
        return 0
    print("Demo committee created. Demo PINs (shown once, for demonstrations only):")
    for name, roles, seat, pin, username, password in roster():
        label = f"seat {seat:2d}" if seat else "       "
        login = f"  login {username} / {password}" if username else ""
        print(f"  {label}  {name:6s}  {','.join(roles):18s}  PIN {pin}{login}")
    for line in extra:
        print(line)
    if args.passphrase_file and args.passphrase_file.endswith(DEMO_PASSPHRASE_FILE):
        print(f"The demo store's passphrase is in {args.passphrase_file}")
    return 0


__all__ = ["main", "populate", "roster", "StoreError"]
