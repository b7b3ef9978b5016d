"""Schemathesis over /api/openapi.json: whatever a client sends, the answer is never a 5xx, and
every answer's media type is one the description declares.

Bounded (a few dozen cases per operation and role) so it runs in every `make test`; the
hardening issue's probe ran ~60,000 and found 262 server errors in 13 operations, each class
of which (64-bit overflow, a list where an object belongs, NUL in a title, a wrong field type)
has its own reproducible test in test_bad_input.py. Every case gets a fresh server-side session
(no Argon2 per case), so a fuzzed sign-out or revocation does not starve the cases after it.
"""

import hypothesis
import pytest
import schemathesis
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance

from appliance.devices import sessions
from tests.conftest import app_config, make_store

EXAMPLES = 25
CHECKS = [schemathesis.checks.not_a_server_error, content_type_conformance]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from appliance import create_app, demo, demo_hooks

    d = str(tmp_path_factory.mktemp("fuzz") / "data")
    store, _ = make_store(d)
    store.close()
    application = create_app(app_config(d))
    st = application.extensions["yishi"].store
    demo.populate(st)
    for hook in demo_hooks.HOOKS:  # meetings, polls, documents and office content to hit real rows
        hook(st, True)
    yield application
    application.extensions["yishi"].close()


def _session_cookie(app, username):
    st = app.extensions["yishi"].store
    pid = st.scalar("SELECT id FROM people WHERE username = ?", (username,))
    assert pid is not None, username
    return {"yishi_session": sessions.begin(st, pid, None, "password")}


def _fuzz(app, username):
    """Every operation, data that fits its schema and data that does not; all failures at once."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures, cases = [], 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path == "/api/v1/events":
            continue  # an endless stream; the live channel has tests of its own
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            seen = []

            @hypothesis.given(case=op.as_strategy(generation_mode=mode))
            @SETTINGS
            def run(case):
                seen.append(1)
                try:
                    case.call_and_validate(cookies=_session_cookie(app, username), checks=CHECKS)
                except (Exception, BaseExceptionGroup) as e:  # schemathesis raises a FailureGroup
                    failures.append(f"{op.method.upper()} {op.path} ({mode}): {str(e)[:600]}")
                    raise

            try:
                run()
            except (Exception, BaseExceptionGroup):  # recorded in failures; hypothesis re-raises the first one it found
                pass
            cases += len(seen)
    assert cases > 500, f"only {cases} cases ran: the description or the generator is broken"
    assert not failures, f"{len(failures)} operations failed:\n" + "\n\n".join(failures)


SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(hypothesis.HealthCheck), phases=[hypothesis.Phase.generate],
)


def test_api_as_office_staff(fuzz_app):
    _fuzz(fuzz_app, "staff")


def test_api_as_admin(fuzz_app):
    _fuzz(fuzz_app, "admin")
