"""A fresh appliance for one benchmark run: data folder, TLS, keyring, store and a committee of N.

The store is made the way `yishi init` makes it (production Argon2 parameters, so the start-up
time includes a real unlock), then the demo people (secretary, admin, 15 members) and members
16..N, each with the PIN `member_pin(seat)`. Also writes the 20 MB PDF the readers fetch.
"""

import os

from appliance import demo, tls
from appliance.config import Settings
from appliance.devices import people
from appliance.store import audit, open_store
from appliance.store.keys import Argon2Params, Keyring

PASSPHRASE = "bench committee passphrase 2026"


def member_pin(seat):
    return demo.member_pin(seat) if seat <= len(demo.MEMBERS) else f"7{seat:05d}"


def build(data_dir, n_members, fast_kdf=False):
    """Create the data folder for N members; returns the passphrase file's path."""
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    Settings(room="常委会会议室", wifi_ssid="Yishi Bench", wifi_passphrase="bench-wifi-passphrase").save(data_dir)
    tls.ensure(data_dir)
    params = Argon2Params(time_cost=1, memory_cost=8 * 1024, parallelism=1) if fast_kdf else Argon2Params()
    _, key = Keyring.create(data_dir, PASSPHRASE, params)
    store = open_store(data_dir, key, create=True)
    try:
        with store.write() as db:
            audit.record(db, "cli", "store.init", {"version": "bench"})
        demo.populate(store, actor="bench")
        for seat in range(len(demo.MEMBERS) + 1, n_members + 1):
            people.create(store, "bench", f"委员{seat:03d}", ["member"], seat=seat, pin=member_pin(seat))
        if n_members < len(demo.MEMBERS):  # fewer than the demo's 15: the rest are not on this committee
            with store.write() as db:
                db.execute("UPDATE people SET active = 0 WHERE seat > ?", (n_members,))
    finally:
        store.close()
    pf = os.path.join(data_dir, "bench-passphrase.txt")
    fd = os.open(pf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(PASSPHRASE + "\n")
    return pf


def make_pdf(path, size=20 * 1024 * 1024, pages=20, seed=None):
    """A valid PDF of about `size` bytes: `pages` pages, each one incompressible RGB image
    (scanned papers are JPEGs, which do not compress either). pdfinfo and pdftotext accept it."""
    rnd = (lambda n: os.urandom(n)) if seed is None else __import__("random").Random(seed).randbytes
    per_page = size // pages
    side = int((per_page / 3) ** 0.5)
    objs = [b"<</Type/Catalog/Pages 2 0 R>>", None]
    kids = []
    for p in range(pages):
        page_no = len(objs) + 1
        kids.append(f"{page_no} 0 R")
        img = rnd(side * side * 3)
        content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
        objs.append(f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im0 {page_no + 1} 0 R>>>>"
                    f"/Contents {page_no + 2} 0 R>>".encode())
        objs.append(f"<</Type/XObject/Subtype/Image/Width {side}/Height {side}/ColorSpace/DeviceRGB/BitsPerComponent 8"
                    f"/Length {len(img)}>>\nstream\n".encode() + img + b"\nendstream")
        objs.append(f"<</Length {len(content)}>>\nstream\n".encode() + content + b"\nendstream")
    objs[1] = f"<</Type/Pages/Kids[{' '.join(kids)}]/Count {pages}>>".encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<</Size {len(objs) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    with open(path, "wb") as f:
        f.write(out)
    return len(out)
