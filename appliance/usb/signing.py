"""The appliance's export signing key (导出签名密钥): an Ed25519 key pair that signs every USB export.

The private key never lies plain on disk: `DATA/signing-key.json` holds it sealed (AES-256-GCM)
under a key derived (HKDF) from the store's data key, so it opens only on an unlocked appliance,
and a stolen SD card gives away no more than the encrypted store does. The public key sits beside
it in the clear, so its fingerprint can be shown without unlocking. `yishi init` makes the key; a
data folder made before this existed gets one the first time it is needed (minutes or an export).

The fingerprint is SHA-256 over the raw 32-byte public key, in hex groups of four: the same text
is printed in every set of minutes, in each export's bag-info.txt, and by the offline verifier,
so a reader compares three strings by eye.
"""

import base64
import hashlib
import json
import os
import tempfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.errors import StoreError

KEY_FILE = "signing-key.json"
_AAD = b"yishi export signing key v1"


def fingerprint(public_raw):
    """'ab12 cd34 …' (16 groups): SHA-256 of the raw public key."""
    h = hashlib.sha256(public_raw).hexdigest()
    return " ".join(h[i:i + 4] for i in range(0, len(h), 4))


def _seal_key(data_key):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yishi signing key seal").derive(data_key)


def _raw_private(key):
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def _raw_public(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class SigningKey:
    def __init__(self, private):
        self._private = private
        self.public_raw = _raw_public(private)
        self.fingerprint = fingerprint(self.public_raw)

    def sign(self, data):
        return self._private.sign(data)


def _path(data_dir):
    return os.path.join(data_dir, KEY_FILE)


def _create(data_dir, data_key):
    private = Ed25519PrivateKey.generate()
    nonce = os.urandom(12)
    doc = {"version": 1, "alg": "ed25519",
           "public": base64.b64encode(_raw_public(private)).decode("ascii"),
           "nonce": base64.b64encode(nonce).decode("ascii"),
           "sealed": base64.b64encode(AESGCM(_seal_key(data_key)).encrypt(nonce, _raw_private(private), _AAD)).decode("ascii")}
    path = _path(data_dir)
    fd, tmp = tempfile.mkstemp(prefix=KEY_FILE + ".", suffix=".tmp", dir=data_dir)  # mode 0600, a name of its own
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    try:
        # link(), not rename(): two workers making the key at once must not each believe their
        # own key is the one on disk; the loser reads the winner's.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def load(data_dir, data_key, create=True):
    """The unsealed signing key of this data folder (made now if there is none and `create`)."""
    path = _path(data_dir)
    if not os.path.exists(path):
        if not create:
            raise StoreError(f"{path}: there is no export signing key; `yishi init --data {data_dir}` makes one")
        _create(data_dir, data_key)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        nonce, sealed = base64.b64decode(doc["nonce"], validate=True), base64.b64decode(doc["sealed"], validate=True)
        public = base64.b64decode(doc["public"], validate=True)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StoreError(f"{path}: the export signing key is damaged ({e}); restore it from a backup") from e
    try:
        raw = AESGCM(_seal_key(data_key)).decrypt(nonce, sealed, _AAD)
    except (InvalidTag, ValueError) as e:
        raise StoreError(f"{path}: the export signing key does not open with this store's key "
                         "(damaged, or from another appliance); restore it from a backup") from e
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(raw))
    if key.public_raw != public:
        raise StoreError(f"{path}: the public key beside the sealed signing key does not match it; restore it from a backup")
    return key


def for_store(store):
    """The signing key of the data folder an open store lives in."""
    return load(os.path.dirname(os.path.abspath(store.path)), store._key)


def public_fingerprint(data_dir):
    """The fingerprint without unlocking (the public key is stored in the clear), or None."""
    try:
        with open(_path(data_dir), encoding="utf-8") as f:
            return fingerprint(base64.b64decode(json.load(f)["public"], validate=True))
    except (OSError, ValueError, KeyError, TypeError):
        return None
