"""The offline verifier names the first file that differs, through both doors: the script shipped
inside the export (run by a bare `python3 -I`) and `yishi verify-export`.

Changes tried, one at a time on a fresh copy: one byte of a minutes PDF, of a CSV, of the payload
manifest, of bag-info.txt, of the signature, of the tag manifest, of the shipped verify.py; the
public key swapped for another; a whole export re-signed by someone else's key (valid signature,
wrong fingerprint); a file added under data/, a file removed; a manifest entry pointing outside the
bag (re-signed with the real key, so only the path check can catch it); a folder that is no export.
"""

import base64
import hashlib
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance.usb import export, signing, verify
from tests.usb.export_helpers import bare_python, copy_of, exported, room  # noqa: F401 (fixtures)

YISHI = os.path.join(os.path.dirname(sys.executable), "yishi")


def change_byte(path, pos, new):
    with open(path, "r+b") as f:
        f.seek(pos)
        old = f.read(1)
        assert old != new
        f.seek(pos)
        f.write(new)


def both_doors(folder, *extra, shipped=True):
    """(exit code, output) of the shipped script and of `yishi verify-export`; they must agree."""
    r2 = subprocess.run([YISHI, "verify-export", folder, *extra], capture_output=True, text=True, timeout=300)
    if not shipped:
        return r2.returncode, r2.stdout + r2.stderr
    r1 = bare_python(os.path.join(folder, "verify.py"), folder, *extra, cwd=os.path.dirname(folder))
    assert r1.returncode == r2.returncode and r1.stderr == r2.stderr, (r1, r2)
    return r1.returncode, r1.stdout + r1.stderr


def minutes_rel(result):
    [rel] = [rel for rel, _, _ in result.files if rel.endswith(export.MINUTES_FILE)]
    return rel


def test_an_untouched_export_passes_both_doors(exported):
    code, out = both_doors(exported.path)
    assert code == 0 and exported.fingerprint in out


def test_one_byte_of_a_pdf(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    rel = minutes_rel(exported)
    change_byte(os.path.join(d, rel), os.path.getsize(os.path.join(d, rel)) // 2, b"\x00")
    code, out = both_doors(d)
    assert code == 1 and f"file differs: {rel}" in out and f"文件内容不一致：{rel}" in out


def test_one_byte_of_a_csv(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    [rel] = [rel for rel, _, _ in exported.files if rel.endswith(export.POLLS_FILE)]
    change_byte(os.path.join(d, rel), 3, b"9")  # just after the BOM
    code, out = both_doors(d)
    assert code == 1 and f"file differs: {rel}" in out


def test_one_byte_of_the_manifest(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    path = os.path.join(d, verify.MANIFEST)
    with open(path, "rb") as f:
        first = f.read(1)
    change_byte(path, 0, b"0" if first != b"0" else b"1")  # still a well-formed hash, just another one
    code, out = both_doors(d)
    assert code == 1 and f"file differs: {verify.MANIFEST}" in out


def test_one_byte_of_bag_info(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    path = os.path.join(d, "bag-info.txt")
    with open(path, "rb") as f:
        pos = f.read().index(b"Yishi-Meetings: ") + len(b"Yishi-Meetings: ")
    change_byte(path, pos, b"7")
    code, out = both_doors(d)
    assert code == 1 and "file differs: bag-info.txt" in out


def test_one_byte_of_the_signature(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    path = os.path.join(d, verify.SIGNATURE)
    with open(path, "rb") as f:
        c = f.read()[10:11]
    change_byte(path, 10, b"A" if c != b"A" else b"B")
    code, out = both_doors(d)
    assert code == 1 and "signature does not verify" in out and verify.SIGNATURE in out and "签名不符" in out


def test_one_byte_of_the_tag_manifest(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    path = os.path.join(d, verify.TAGMANIFEST)
    with open(path, "rb") as f:
        first = f.read(1)
    change_byte(path, 0, b"0" if first != b"0" else b"1")
    code, out = both_doors(d)
    assert code == 1 and "signature does not verify" in out and verify.TAGMANIFEST in out


def test_a_changed_verify_script_is_named(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    with open(os.path.join(d, "verify.py"), "a", encoding="utf-8") as f:
        f.write("# harmless looking\n")
    code, out = both_doors(d, shipped=False)
    assert code == 1 and "file differs: verify.py" in out


def test_another_public_key_is_named(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    other = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    with open(os.path.join(d, verify.PUBLIC_KEY), "w") as f:
        f.write(base64.b64encode(other).decode() + "\n")
    code, out = both_doors(d)
    assert code == 1 and f"{verify.PUBLIC_KEY} was changed" in out


def _resign(folder, key, manifest_text=None):
    """Rewrite the manifests' hashes and the signature as a forger with `key` would."""
    if manifest_text is not None:
        with open(os.path.join(folder, verify.MANIFEST), "w", encoding="utf-8") as f:
            f.write(manifest_text)
    with open(os.path.join(folder, verify.PUBLIC_KEY), "w") as f:
        f.write(base64.b64encode(key.public_raw).decode() + "\n")
    lines = []
    for name in sorted(os.listdir(folder)):
        if os.path.isfile(os.path.join(folder, name)) and not name.startswith("tagmanifest-"):
            with open(os.path.join(folder, name), "rb") as f:
                lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {name}\n")
    body = "".join(lines).encode()
    with open(os.path.join(folder, verify.TAGMANIFEST), "wb") as f:
        f.write(body)
    with open(os.path.join(folder, verify.SIGNATURE), "w") as f:
        f.write(base64.b64encode(key.sign(body)).decode() + "\n")


def test_an_export_re_signed_by_another_key_shows_another_fingerprint(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    forger = signing.SigningKey(Ed25519PrivateKey.generate())
    _resign(d, forger)
    code, out = both_doors(d)
    assert code == 0 and forger.fingerprint in out and exported.fingerprint not in out  # what the reader compares
    code, out = both_doors(d, "--fingerprint", exported.fingerprint)
    assert code == 1 and "not the expected" in out and forger.fingerprint in out


def test_an_extra_file_and_a_missing_file(exported, tmp_path):
    d = copy_of(exported, tmp_path)
    folder = os.path.dirname(os.path.join(d, minutes_rel(exported)))
    with open(os.path.join(folder, "添加.txt"), "w") as f:
        f.write("slipped in")
    code, out = both_doors(d)
    assert code == 1 and "a file no manifest lists" in out and "添加.txt" in out
    os.unlink(os.path.join(folder, "添加.txt"))
    os.unlink(os.path.join(d, minutes_rel(exported)))
    code, out = both_doors(d)
    assert code == 1 and f"file missing: {minutes_rel(exported)}" in out


def test_a_manifest_path_outside_the_bag_is_refused_even_when_signed(room, exported, tmp_path):
    d = copy_of(exported, tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the export")
    with open(os.path.join(d, verify.MANIFEST), encoding="utf-8") as f:
        text = f.read()
    text += f"{hashlib.sha256(b'not part of the export').hexdigest()}  data/../../outside.txt\n"
    _resign(d, signing.load(room.data_dir, room.store._key), text)
    code, out = both_doors(d)
    assert code == 1 and "unsafe path" in out


def test_a_folder_that_is_no_export(tmp_path):
    (tmp_path / "some.pdf").write_bytes(b"%PDF-1.4")
    code, out = both_doors(str(tmp_path), shipped=False)
    assert code == 2 and "is missing" in out
    r = subprocess.run([YISHI, "verify-export", str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert r.returncode == 2 and "not a folder" in r.stderr
    (tmp_path / "议事导出-x.7z").write_bytes(b"7z\xbc\xaf\x27\x1c")
    r = subprocess.run([YISHI, "verify-export", str(tmp_path / "议事导出-x.7z")], capture_output=True, text=True)
    assert r.returncode == 2 and "extract it with its passphrase" in r.stderr and "先用口令解压" in r.stderr


# -- the pure-Python Ed25519 carried inside the script ---------------------------------------------
def test_rfc8032_test_vector_1():
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    sig = bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
                        "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    assert verify.ed25519_verify(public, b"", sig)
    assert not verify.ed25519_verify(public, b"\x00", sig)


@pytest.mark.parametrize("n", range(8))
def test_agrees_with_cryptography(n):
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    message = os.urandom(n * 37)
    sig = key.sign(message)
    assert verify.ed25519_verify(public, message, sig)
    bad = bytearray(sig)
    bad[n % 64] ^= 1 << (n % 8)
    assert not verify.ed25519_verify(public, message, bytes(bad))
    assert not verify.ed25519_verify(public, message + b"x", sig)
    assert not verify.ed25519_verify(public[:31], message, sig) and not verify.ed25519_verify(public, message, sig[:63])
    # The same signature with S + L (malleable, non-canonical) is refused, as RFC 8032 5.1.7 asks.
    s_plus_l = int.from_bytes(sig[32:], "little") + 2 ** 252 + 27742317777372353535851937790883648493
    if s_plus_l < 2 ** 256:
        assert not verify.ed25519_verify(public, message, sig[:32] + s_plus_l.to_bytes(32, "little"))


def test_the_script_imports_only_the_standard_library():
    """What runs on a bare laptop: every import in verify.py is in the standard library."""
    import ast

    with open(verify.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names = {a.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert names <= set(sys.stdlib_module_names), names - set(sys.stdlib_module_names)
