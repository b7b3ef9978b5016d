"""Yishi (议事): the appliance package.

Everything that runs on the Pi lives here; `create_app` is the Flask application factory and
`yishi` (appliance.cli) the command line.
"""

__version__ = "0.1.0"


def create_app(config=None):
    """Build the Flask application for one data folder (see appliance.web.build_app)."""
    from appliance.web import build_app

    return build_app(config)
