"""The appliance's own certificate authority and server certificate.

Made on the device at `yishi init` (never in the image or the repository). Tablets trust the
CA once (the plain-HTTP port offers `ca.crt` with instructions); the server certificate names
the appliance's LAN names and addresses so the padlock is real on the meeting network.
"""

import datetime
import ipaddress
import os
import socket

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_NAMES = ("yishi.lan", "yishi.local", "localhost")
DEFAULT_ADDRESSES = ("127.0.0.1", "10.42.0.1")


def paths(data_dir):
    d = os.path.join(data_dir, "tls")
    return {k: os.path.join(d, f) for k, f in (("dir", ""), ("ca_crt", "ca.crt"), ("ca_key", "ca.key"), ("crt", "server.crt"), ("key", "server.key"))}


def _write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def ensure(data_dir, names=(), addresses=(), now=None):
    """Create the CA and server certificate unless they exist. Returns the paths."""
    p = paths(data_dir)
    if os.path.exists(p["crt"]) and os.path.exists(p["key"]):
        return p
    os.makedirs(p["dir"], mode=0o700, exist_ok=True)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    host = socket.gethostname()

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Yishi 议事"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Yishi local CA ({host})"),
    ])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    dns = sorted({*DEFAULT_NAMES, host, f"{host}.local", *names})
    ips = sorted({*DEFAULT_ADDRESSES, *addresses})
    # Browsers cap leaf certificates at 398 days; the appliance renews at `yishi init`.
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "yishi.lan")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=397))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns] + [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(p["ca_key"], _pem_key(ca_key), 0o600)
    _write(p["ca_crt"], ca.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(p["key"], _pem_key(key), 0o600)
    _write(p["crt"], cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return p
