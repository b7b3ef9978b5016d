"""What a USB export and its offline check cost, against plain copies of the same bytes.

    .venv/bin/python bench/usb_export.py [--meetings 24] [--repeat 3]

Builds a throw-away store with the demo committee and --meetings closed meetings (each with its
minutes, two polls and the full roster), then, in this one process and the same folder, times

- baseline A: reading each meeting's stored minutes from the store and writing them, with the
  two CSVs, to plain files (what any export has to do at least);
- the export (archival metadata, bag, manifests, the signature, fsync, rename), plain and 7z;
- baseline B: `shutil.copytree` of the finished export (the I/O of the same bytes);
- the shipped verifier (stdlib, pure-Python Ed25519) against bagit's own validation of the same
  bag, and one pure-Python Ed25519 verification against `cryptography`'s.

Figures are the best of --repeat runs, in seconds and as ratios to their baseline.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def build(data_dir, n):
    from appliance import demo
    from appliance.devices import people
    from appliance.meetings import core, minutes, polls
    from tests.conftest import make_store

    store, _ = make_store(data_dir)
    demo.populate(store)
    members = people.everyone(store, role="member")
    ids = []
    for i in range(n):
        mid = core.create(store, None, "standing", f"基准测试会议 {i + 1}", time.time() - 86400 * (n - i))
        core.open_signin(store, None, mid)
        for m in members[:12]:
            core.sign_in(store, m.id, mid)
        for k in range(2):
            item = core.add_item(store, None, mid, f"议题 {k + 1}", "bill")
            p = polls.create(store, None, item)
            polls.show_of_hands(store, None, p, 10, 1, 1, "基准")
        minutes.close_meeting(store, None, mid)
        ids.append(mid)
    return store, ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meetings", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from appliance.documents import library
    from appliance.usb import export, verify

    root = tempfile.mkdtemp(prefix="yishi-usb-bench-")
    try:
        data_dir = os.path.join(root, "data")
        store, ids = build(data_dir, args.meetings)
        stick = os.path.join(root, "stick")
        os.makedirs(stick)
        secretary = store.scalar("SELECT id FROM people WHERE username = 'secretary'")

        def plain_files():
            out = tempfile.mkdtemp(dir=stick)
            for m in export._chosen(store, ids):
                doc = library.get(store, m["minutes_document"])
                d = os.path.join(out, str(m["id"]))
                os.makedirs(d)
                with open(os.path.join(d, "m.pdf"), "wb") as f:
                    f.write(b"".join(library.stream(store, doc["current_version"])))
                with open(os.path.join(d, "p.csv"), "wb") as f:
                    f.write(export.polls_csv(store, m["id"]))
                with open(os.path.join(d, "a.csv"), "wb") as f:
                    f.write(export.attendance_csv(store, m["id"]))
            shutil.rmtree(out)

        results = {}

        def do_export(**kw):
            r = export.export_minutes(store, data_dir, ids, stick, actor_id=secretary, **kw)
            results["last"] = r
            return r

        def cleanup():
            r = results["last"]
            shutil.rmtree(r.path) if os.path.isdir(r.path) else os.unlink(r.path)

        base_a = best(plain_files, args.repeat)
        t_plain = best(lambda: (do_export(), cleanup()), args.repeat)
        t_7z = best(lambda: (do_export(archive_passphrase="bench-passphrase"), cleanup()), args.repeat)
        r = do_export()
        size = r.total_bytes
        copy_to = os.path.join(root, "copy")
        base_b = best(lambda: (shutil.copytree(r.path, copy_to), shutil.rmtree(copy_to)), args.repeat)
        t_verify = best(lambda: verify.verify(r.path), args.repeat)

        def bagit_validate():
            import bagit

            bagit.Bag(r.path).validate(processes=1)

        t_bagit = best(bagit_validate, args.repeat)
        key = Ed25519PrivateKey.generate()
        pub = key.public_key()
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        sig = key.sign(b"x" * 1000)
        t_pure = best(lambda: verify.ed25519_verify(raw, b"x" * 1000, sig), args.repeat * 3)
        t_c = best(lambda: pub.verify(sig, b"x" * 1000), args.repeat * 3)
        store.close()

        print(f"{len(ids)} meetings, {len(r.files)} files, {size / 1e6:.2f} MB in the export")
        print(f"baseline A (stored bytes + CSVs to plain files): {base_a:.3f} s")
        print(f"export, plain bag:  {t_plain:.3f} s = {t_plain / base_a:.1f} x A")
        print(f"export, 7z AES-256: {t_7z:.3f} s = {t_7z / base_a:.1f} x A = {t_7z / t_plain:.2f} x plain bag")
        print(f"baseline B (copytree of the export): {base_b:.4f} s")
        print(f"shipped verifier:   {t_verify:.3f} s = {t_verify / base_b:.1f} x B; bagit validate {t_bagit:.3f} s "
              f"(verifier = {t_verify / t_bagit:.2f} x bagit)")
        print(f"Ed25519 verify: pure Python {t_pure * 1000:.1f} ms, cryptography {t_c * 1000:.3f} ms "
              f"({t_pure / t_c:.0f} x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
