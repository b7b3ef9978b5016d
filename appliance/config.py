"""Configuration: what `create_app` is given, and the appliance's own `DATA/config.json`.

`Config` is passed in (the factory reads no globals). `Settings` is the per-appliance file made
by `yishi init`: the room's name, the Wi-Fi network and the address tablets use. It holds the
Wi-Fi passphrase, so it is mode 0600 and lives in the data folder, never in the image.
"""

import json
import os
import secrets
from dataclasses import asdict, dataclass, field

from appliance.errors import StoreError

SETTINGS_FILE = "config.json"


@dataclass
class Config:
    data_dir: str
    passphrase: str | None = None  # unlock at start (from --passphrase-file)
    keyfile_secret: bytes | None = None  # unlock at start (from --key-file)
    session_idle_seconds: int = 2 * 3600
    session_absolute_seconds: int = 12 * 3600
    pin_attempts: int = 5
    lockout_seconds: int = 15 * 60
    pairing_invite_seconds: int = 5 * 60
    pairing_request_seconds: int = 10 * 60
    secure_cookies: bool = True  # Secure flag: on whenever served over HTTPS
    advertise: bool = False  # zeroconf, on for `yishi serve`
    advertise_address: str | None = None
    port: int = 8443
    testing: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class Settings:
    room: str = "常委会会议室"
    wifi_ssid: str = "Yishi"
    wifi_passphrase: str = ""
    public_url: str = ""  # e.g. https://yishi.lan ; empty: the address the browser used
    committee: str = "人大常委会"
    # How the committee counts (LAW.md part 2; local rules differ, so each is a setting).
    # 满意度测评: the result is 满意 when these choices reach the threshold of the base.
    assessment_counted: tuple = ("satisfied", "basically")
    assessment_base: str = "all_members"  # or "took_part" (the ballots cast)
    assessment_threshold: str = "majority"  # a law.Rule value
    # Elections: more than half of all members (default) or of those who took part.
    election_base: str = "all_members"
    runoff_needs_threshold: bool = True  # a new round among the tied must again pass the threshold
    # Argon2id cost of a PIN (appliance/devices/secrets_.py; chosen from bench/pin_cost.py in
    # docs/threat-model.md: 1 pass over 4 MiB, ~6 ms here, ~25-37 ms on a Pi 4).
    pin_hash_time_cost: int = 1
    pin_hash_memory_kib: int = 4 * 1024
    # 备份: how many nightly backups the backup stick keeps (appliance/usb/backup.py removes the
    # oldest beyond this). A week covers a damage found on Monday that began on Friday.
    backup_keep: int = 7

    @classmethod
    def path(cls, data_dir):
        return os.path.join(data_dir, SETTINGS_FILE)

    @classmethod
    def load(cls, data_dir):
        p = cls.path(data_dir)
        try:
            with open(p, encoding="utf-8") as f:
                raw = json.load(f)
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as e:
            raise StoreError(f"{p}: cannot read the settings ({e})") from e
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        settings = cls(**known)
        for name, low, high in (("pin_hash_time_cost", 1, 10), ("pin_hash_memory_kib", 1024, 256 * 1024), ("backup_keep", 1, 366)):
            v = getattr(settings, name)
            if not isinstance(v, int) or isinstance(v, bool) or not low <= v <= high:
                raise StoreError(f"{p}: '{name}' is {v!r}, expected a whole number from {low} to {high}")
        return settings

    def save(self, data_dir):
        p = self.path(data_dir)
        tmp = p + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(self), f, ensure_ascii=False, indent=1)
        os.replace(tmp, p)


def new_wifi_passphrase():
    """A Wi-Fi passphrase that is easy to read aloud: 4 groups of 4 from an unambiguous alphabet."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
