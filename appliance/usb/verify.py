"""Offline check of a Yishi export (议事导出核验): signature first, then every hash.

This one file is both `yishi verify-export DIR` and the `verify.py` copied into every export,
so anyone with only Python 3 (a Windows or Linux laptop, no network, nothing installed) can run

    python3 verify.py            (beside it: checks the export it sits in)
    python3 verify.py DIR [--fingerprint "ab12 cd34 ..."]

It therefore uses the standard library only, and carries its own Ed25519 verification, the
reference code of RFC 8032 section 6 (slow, about a tenth of a second, and that is fine here).

Order matters for naming the first file that differs: the signature over
`tagmanifest-sha256.txt` is checked first (a changed tag manifest can only show as a bad
signature), then the tag files it lists (`bag-info.txt`, `manifest-sha256.txt`, this script),
then every payload file in `manifest-sha256.txt`, then files that no manifest lists. A valid
signature says only "whoever holds this key made it": the printed key fingerprint must be
compared with the one printed in the minutes (or given with --fingerprint).

Exit status: 0 the export is intact; 1 something differs (the message names it); 2 not an
export, or unreadable.
"""

import base64
import hashlib
import os
import sys

TAGMANIFEST = "tagmanifest-sha256.txt"
MANIFEST = "manifest-sha256.txt"
SIGNATURE = "tagmanifest-sha256.txt.sig"
PUBLIC_KEY = "signing-key.pub"
REQUIRED_TAGS = ("bagit.txt", "bag-info.txt", MANIFEST, PUBLIC_KEY)

# --- Ed25519 verification: RFC 8032, section 6 (reference implementation) ----------------------
_p = 2 ** 255 - 19
_q = 2 ** 252 + 27742317777372353535851937790883648493


def _inv(x):
    return pow(x, _p - 2, _p)


_d = -121665 * _inv(121666) % _p
_sqrt_m1 = pow(2, (_p - 1) // 4, _p)


def _add(P, Q):
    A, B = (P[1] - P[0]) * (Q[1] - Q[0]) % _p, (P[1] + P[0]) * (Q[1] + Q[0]) % _p
    C, D = 2 * P[3] * Q[3] * _d % _p, 2 * P[2] * Q[2] % _p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F, G * H, F * G, E * H)


def _mul(s, P):
    Q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            Q = _add(Q, P)
        P = _add(P, P)
        s >>= 1
    return Q


def _equal(P, Q):
    return (P[0] * Q[2] - Q[0] * P[2]) % _p == 0 and (P[1] * Q[2] - Q[1] * P[2]) % _p == 0


def _recover_x(y, sign):
    if y >= _p:
        return None
    x2 = (y * y - 1) * _inv(_d * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_p + 3) // 8, _p)
    if (x * x - x2) % _p != 0:
        x = x * _sqrt_m1 % _p
    if (x * x - x2) % _p != 0:
        return None
    if (x & 1) != sign:
        x = _p - x
    return x


_gy = 4 * _inv(5) % _p
_gx = _recover_x(_gy, 0)
_G = (_gx, _gy, 1, _gx * _gy % _p)


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _p)


def ed25519_verify(public, message, signature):
    """True when `signature` (64 bytes) is `public`'s (32 bytes) signature of `message`."""
    if len(public) != 32 or len(signature) != 64:
        return False
    A = _decompress(public)
    R = _decompress(signature[:32])
    if A is None or R is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _q
    return _equal(_mul(s, _G), _add(R, _mul(h, A)))


# --- the bag --------------------------------------------------------------------------------------
def fingerprint(public_raw):
    h = hashlib.sha256(public_raw).hexdigest()
    return " ".join(h[i:i + 4] for i in range(0, len(h), 4))


class Result:
    def __init__(self):
        self.ok = False
        self.fingerprint = None
        self.file = None     # the first file that differs (relative path), when one does
        self.zh = self.en = ""
        self.status = 2
        self.checked = 0
        self.info = {}   # bag-info.txt, once everything checked out (so it can be trusted)

    def fail(self, status, file, zh, en):
        self.ok, self.status, self.file, self.zh, self.en = False, status, file, zh, en
        return self


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _safe(rel):
    """A manifest's path is untrusted text: only a plain relative path inside the bag."""
    if not rel or rel.startswith(("/", "\\")) or "\\" in rel or ":" in rel or "\x00" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def _entries(path):
    """[(sha256, relative path)] of a BagIt manifest; ValueError on a malformed line."""
    out = []
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        if len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdef" for c in parts[0].lower()):
            raise ValueError(f"line {n}")
        # RFC 8493 2.1.3: CR, LF and % in a file name are percent-encoded.
        rel = parts[1].strip().replace("%0D", "\r").replace("%0A", "\n").replace("%0d", "\r").replace("%0a", "\n")
        out.append((parts[0].lower(), rel.replace("%25", "%")))
    return out


def _bag_info(path):
    """bag-info.txt as {label: value} (RFC 8493 2.2.2: continuation lines start with whitespace)."""
    info, label = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line[:1] in (" ", "\t") and label:
                info[label] += " " + line.strip()
            elif ":" in line:
                label, value = line.split(":", 1)
                label = label.strip()
                info[label] = value.strip()
    return info


SHOWN = (("Yishi-Room", "会议室 / room"), ("Yishi-Exported-At", "导出时间 / exported at"),
         ("Yishi-Exporter", "导出人 / exported by"), ("Yishi-Meetings", "会议编号 / meetings"),
         ("Yishi-Audit-Head", "审计日志链头哈希 / audit chain head"))


def verify(bag_dir, expect_fingerprint=None):
    """Check the export in `bag_dir`; a Result saying whether it is intact, or what differs first."""
    r = Result()
    bag_dir = os.path.abspath(bag_dir)
    if os.path.isfile(bag_dir) and bag_dir.lower().endswith(".7z"):
        return r.fail(2, None, f"{bag_dir} 是加密压缩包：先用口令解压（7-Zip），再核验解压出的文件夹",
                      f"{bag_dir} is an encrypted archive: extract it with its passphrase (7-Zip), then check the folder")
    if not os.path.isdir(bag_dir):
        return r.fail(2, None, f"{bag_dir} 不是文件夹", f"{bag_dir} is not a folder")
    for name in (TAGMANIFEST, SIGNATURE) + REQUIRED_TAGS:
        if not os.path.isfile(os.path.join(bag_dir, name)):
            return r.fail(2, name, f"缺少 {name}：这不是完整的议事导出", f"{name} is missing: this is not a complete Yishi export")
    try:
        with open(os.path.join(bag_dir, PUBLIC_KEY), "rb") as f:
            public = base64.b64decode(f.read().split()[0], validate=True)
        with open(os.path.join(bag_dir, SIGNATURE), "rb") as f:
            signature = base64.b64decode(f.read().strip(), validate=True)
        with open(os.path.join(bag_dir, TAGMANIFEST), "rb") as f:
            tag_bytes = f.read()
        tags = _entries(os.path.join(bag_dir, TAGMANIFEST))
        payload = _entries(os.path.join(bag_dir, MANIFEST))
    except (ValueError, IndexError, OSError, UnicodeDecodeError) as e:
        return r.fail(1, None, f"清单或签名文件不可读（{e}）", f"a manifest or the signature cannot be read ({e})")
    if len(public) == 32:
        r.fingerprint = fingerprint(public)
    listed = dict((rel, h) for h, rel in tags)

    if not ed25519_verify(public, tag_bytes, signature):
        # The tag manifest records the key file's hash: if that no longer matches, the key changed.
        key_hash = listed.get(PUBLIC_KEY)
        if key_hash and key_hash != _sha256(os.path.join(bag_dir, PUBLIC_KEY)):
            return r.fail(1, PUBLIC_KEY, f"签名不符：{PUBLIC_KEY} 已被改动", f"the signature does not verify: {PUBLIC_KEY} was changed")
        return r.fail(1, TAGMANIFEST, f"签名不符：{TAGMANIFEST} 或其签名 {SIGNATURE} 已被改动",
                      f"the signature does not verify: {TAGMANIFEST} or its signature {SIGNATURE} was changed")
    if expect_fingerprint is not None:
        want = "".join(expect_fingerprint.split()).lower()
        if want != "".join((r.fingerprint or "").split()):
            return r.fail(1, PUBLIC_KEY, f"签名有效，但公钥指纹 {r.fingerprint} 不是预期的 {expect_fingerprint}：不是本机导出",
                          f"the signature is valid but the key fingerprint {r.fingerprint} is not the expected "
                          f"{expect_fingerprint}: not exported by that appliance")
    for name in REQUIRED_TAGS:
        if name not in listed:
            return r.fail(1, name, f"{TAGMANIFEST} 未列出 {name}", f"{TAGMANIFEST} does not list {name}")

    for label, entries in (("tag", tags), ("payload", payload)):
        for want, rel in entries:
            if not _safe(rel) or (label == "payload" and not rel.startswith("data/")):
                return r.fail(1, rel, f"清单中的路径不安全：{rel!r}", f"unsafe path in a manifest: {rel!r}")
            path = os.path.join(bag_dir, *rel.split("/"))
            if not os.path.isfile(path):
                return r.fail(1, rel, f"缺少文件：{rel}", f"file missing: {rel}")
            if _sha256(path) != want:
                return r.fail(1, rel, f"文件内容不一致：{rel}", f"file differs: {rel}")
            r.checked += 1

    in_manifest = {rel for _, rel in payload}
    for root, dirs, files in os.walk(os.path.join(bag_dir, "data")):
        dirs.sort()
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), bag_dir).replace(os.sep, "/")
            if rel not in in_manifest:
                return r.fail(1, rel, f"清单之外多出的文件：{rel}", f"a file no manifest lists: {rel}")
    r.ok, r.status = True, 0
    r.info = _bag_info(os.path.join(bag_dir, "bag-info.txt"))
    r.zh = f"完整无误：签名有效，{r.checked} 个文件的哈希全部一致"
    r.en = f"intact: the signature is valid and all {r.checked} file hashes match"
    return r


def main(argv=None):
    import argparse

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # a console that cannot show Chinese still shows the rest
        except (AttributeError, ValueError):
            pass
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(prog="verify.py", description="核验议事导出 / verify a Yishi export, offline")
    p.add_argument("folder", nargs="?", default=None, help="the export folder (default: the folder this script is in)")
    p.add_argument("--fingerprint", help="the key fingerprint printed in the minutes, to compare with")
    args = p.parse_args(argv)
    folder = args.folder
    if folder is None:
        folder = here if os.path.isfile(os.path.join(here, TAGMANIFEST)) else "."
    r = verify(folder, args.fingerprint)
    if r.fingerprint:
        print(f"签名公钥指纹 / signing key fingerprint: {r.fingerprint}")
        print("请与会议记录中印出的指纹核对 / compare it with the one printed in the minutes")
    for label, text in SHOWN:
        if label in r.info:
            print(f"{text}: {r.info[label]}")
    stream = sys.stdout if r.ok else sys.stderr
    print(("通过" if r.ok else "未通过") + "：" + r.zh, file=stream)
    print(("OK" if r.ok else "FAILED") + ": " + r.en, file=stream)
    return r.status


if __name__ == "__main__":
    sys.exit(main())
