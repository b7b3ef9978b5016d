"""The web UI's files: templates, static assets (vendored, never from a CDN) and catalogues."""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
STATIC = os.path.join(HERE, "static")
TRANSLATIONS = os.path.join(HERE, "translations")


def translation_dirs():
    """One catalogue per area (webui/translations/<area>/<locale>/LC_MESSAGES/messages.po)."""
    if not os.path.isdir(TRANSLATIONS):
        return []
    return [os.path.join(TRANSLATIONS, d) for d in sorted(os.listdir(TRANSLATIONS))]
