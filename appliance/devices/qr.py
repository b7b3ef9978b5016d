"""The two QR codes of pairing: join the meeting Wi-Fi, then open the one-time pairing URL."""

import io

import qrcode
import qrcode.image.svg

_WIFI_SPECIAL = '\\;,":'


def wifi_escape(text):
    """Escape `\\ ; , " :` with a backslash, as the WIFI: URI scheme requires."""
    return "".join("\\" + ch if ch in _WIFI_SPECIAL else ch for ch in text)


def wifi_string(ssid, passphrase):
    return f"WIFI:T:WPA;S:{wifi_escape(ssid)};P:{wifi_escape(passphrase)};;"


def _make(data):
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    q.add_data(data)
    q.make(fit=True)
    return q


def svg(data):
    img = _make(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return img.to_string(encoding="unicode")


def png(data, path=None, box_size=8):
    q = _make(data)
    q.box_size = box_size
    img = q.make_image(fill_color="black", back_color="white")
    if path:
        img.save(path)
        return path
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def terminal(data):
    """The QR code drawn with half-block characters, for the console of `yishi pair`."""
    out = io.StringIO()
    _make(data).print_ascii(out=out, invert=True)
    return out.getvalue()
