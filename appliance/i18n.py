"""Translation: Chinese first (zh_CN is the default), English second.

Source strings are English msgids; the catalogues live in webui/translations/<area>/ and
Flask-Babel merges them, so each area keeps its own catalogue. The locale comes from the
`lang` cookie (set by the language switch), else zh_CN.
"""

from flask import request
from flask_babel import Babel, gettext, lazy_gettext, ngettext  # noqa: F401

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


def select_locale():
    try:
        lang = request.cookies.get("lang")
    except RuntimeError:
        return DEFAULT_LOCALE
    return lang if lang in LOCALES else DEFAULT_LOCALE


def init_app(app, translation_dirs):
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_dirs)
    Babel(app, locale_selector=select_locale)
