"""QR codes: the Wi-Fi string is escaped; zbarimg reads back exactly what was encoded."""

import os
import subprocess

from appliance.devices import qr
from tests.conftest import PASSPHRASE, YISHI, need


def test_wifi_string_escapes_specials():
    assert qr.wifi_string('会议;室', 'a\\b;c,d"e:f') == 'WIFI:T:WPA;S:会议\\;室;P:a\\\\b\\;c\\,d\\"e\\:f;;'


def zbar(path):
    out = subprocess.run([need("zbarimg"), "-q", "--raw", path], capture_output=True, text=True, check=True)
    return out.stdout.rstrip("\n")


def test_yishi_pair_png_decodes(data_dir, tmp_path):
    pf = tmp_path / "pp"
    pf.write_text(PASSPHRASE + "\n")
    out = subprocess.run(
        [YISHI, "pair", "--data", data_dir, "--passphrase-file", str(pf), "--png", str(tmp_path / "qr"), "--url", "https://yishi.lan"],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    assert zbar(str(tmp_path / "qr" / "wifi.png")) == "WIFI:T:WPA;S:Yishi Test;P:pass\\;word\\:1;;"
    url = zbar(str(tmp_path / "qr" / "pair.png"))
    assert url.startswith("https://yishi.lan/pair#t=") and len(url.split("#t=")[1]) >= 22
    assert url in out.stdout  # also printed for the console
    assert os.path.getsize(tmp_path / "qr" / "pair.png") > 0
