"""A signed BagIt bag (RFC 8493): the container of every export.

The `bagit` library (Library of Congress) writes the bag: payload under data/, bagit.txt,
bag-info.txt, manifest-sha256.txt over the payload and tagmanifest-sha256.txt over the tag
files. Only SHA-256: MD5 and SHA-1 would add nothing a verifier could trust. Around it we add
what BagIt leaves out, provenance: `verify.py` (the stdlib-only offline verifier) and
`signing-key.pub` as tag files, so the tag manifest covers them, and then
`tagmanifest-sha256.txt.sig`, the Ed25519 signature over the tag manifest's bytes. The signature
file is the one file no manifest lists (it cannot sign itself); a valid signature vouches for the
tag manifest, which vouches for every tag file, whose manifest vouches for every payload file.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys

VERIFY_SCRIPT = "verify.py"
README = "README.txt"


def _readme(fingerprint):
    return (
        "议事导出 / Yishi export\n\n"
        "本文件夹是一个 BagIt 包（RFC 8493）：data/ 下是会议记录（PDF）及表决结果、出席情况（CSV）。\n"
        "核验：在本文件夹中运行  python3 verify.py（Windows：py verify.py）\n"
        "它检查签名和每个文件的哈希，并打印签名公钥指纹；请与会议记录中印出的指纹核对。\n"
        f"签名公钥指纹：{fingerprint}\n\n"
        "This folder is a BagIt bag (RFC 8493): data/ holds the minutes (PDF), poll results and\n"
        "attendance (CSV). To check it, run  python3 verify.py  (Windows: py verify.py) in this folder: it checks the\n"
        "signature and every file's hash, and prints the signing key's fingerprint; compare it\n"
        f"with the one printed in the minutes.\nSigning key fingerprint: {fingerprint}\n"
    )


def write(folder, info, signing_key):
    """Turn `folder` (the payload files, as they should appear under data/) into a signed bag.

    `info`: bag-info.txt fields. Returns the tag manifest's SHA-256 (what the audit log keeps).

    The bagit library changes the process's working directory while it writes (os.chdir in
    make_bag and Bag.save), which would pull the floor from under every other thread of a web
    worker that opens a relative path (the data folder may be given as one). So it runs in a
    child process of its own; only the signing, which needs the private key, stays here.
    """
    from appliance.usb import verify

    job = {"folder": os.path.abspath(folder), "info": {**info, "Signing-Key-Fingerprint": signing_key.fingerprint},
           "public": base64.b64encode(signing_key.public_raw).decode("ascii"), "fingerprint": signing_key.fingerprint,
           "verify_script": verify.__file__, "public_key_file": verify.PUBLIC_KEY}
    # Run by path, not `-m appliance.usb.bag`: the child then imports bagit and nothing of ours
    # (the appliance package would pull in Flask), so it starts in a fraction of the time.
    r = subprocess.run([sys.executable, os.path.abspath(__file__)], input=json.dumps(job).encode("utf-8"),
                       capture_output=True, timeout=3600)
    if r.returncode != 0:
        raise OSError(f"writing the bag in {folder} failed: {r.stderr.decode('utf-8', 'replace').strip()[-2000:]}")
    with open(os.path.join(folder, verify.TAGMANIFEST), "rb") as f:
        tag_bytes = f.read()
    with open(os.path.join(folder, verify.SIGNATURE), "w", encoding="ascii", newline="\n") as f:
        f.write(base64.b64encode(signing_key.sign(tag_bytes)).decode("ascii") + "\n")
    return hashlib.sha256(tag_bytes).hexdigest()


def _make_bag(job):
    import bagit

    folder = job["folder"]
    bag = bagit.make_bag(folder, bag_info=job["info"], checksums=["sha256"], processes=1)
    # bagit-python still declares BagIt 0.97; what it wrote is RFC 8493's BagIt 1.0 (SHA-256
    # manifests, UTF-8 tag files, Payload-Oxum), and it validates bags that declare 1.0 strictly.
    with open(os.path.join(folder, "bagit.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    bag = bagit.Bag(folder)
    shutil.copyfile(job["verify_script"], os.path.join(folder, VERIFY_SCRIPT))
    with open(os.path.join(folder, job["public_key_file"]), "w", encoding="ascii", newline="\n") as f:
        f.write(job["public"] + "\n")
    with open(os.path.join(folder, README), "w", encoding="utf-8-sig", newline="\r\n") as f:
        f.write(_readme(job["fingerprint"]))
    # Rewrite the tag manifest so it covers the files just added (the payload manifest stands).
    bag.save(processes=1, manifests=False)


def files_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files(folder):
    """[(relative path, sha256, size)] of every file in the bag, in a stable order."""
    out = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            out.append((os.path.relpath(path, folder).replace(os.sep, "/"), files_sha256(path), os.path.getsize(path)))
    return out


def _without_pkg_resources():
    """bagit 1.8.1 (the newest with a wheel) imports pkg_resources only to read its own version:
    that import costs about 0.3 s, and pkg_resources is deprecated in setuptools and absent from a
    venv without setuptools. This child imports nothing but bagit, so it gets a stand-in that
    answers that one question from importlib.metadata (bagit 1.9 does not ask it at all)."""
    import importlib.metadata
    import types

    class DistributionNotFound(Exception):
        pass

    def get_distribution(name):
        try:
            return types.SimpleNamespace(version=importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError as e:
            raise DistributionNotFound(name) from e

    stand_in = types.ModuleType("pkg_resources")
    stand_in.DistributionNotFound, stand_in.get_distribution = DistributionNotFound, get_distribution
    sys.modules["pkg_resources"] = stand_in


if __name__ == "__main__":
    _without_pkg_resources()
    _make_bag(json.loads(sys.stdin.buffer.read().decode("utf-8")))
