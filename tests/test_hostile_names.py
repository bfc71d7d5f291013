"""Hostile names in a service's ``role``, ``owner-role`` and ``schemas`` (quotes,
semicolons, unicode look-alikes, over 63 bytes, ``pg_*``, ``public``, ``postgres``,
``current_user``...) are refused by the config, exit 2 naming the key, before any SQL runs:
``schemakit provision`` is pointed at a listening socket, which no connection reaches. So
is a schema or role two services claim."""

from __future__ import annotations

import json
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.migrate._cli import sk

_RESERVED = ["public", "postgres", "current_user", "session_user", "none", "pg_signal_backend"]
# information_schema is a schema every role shares, and a harmless role name
_RESERVED_SCHEMAS = ["information_schema", "pg_catalog", "pg_toast"]
# Letters that render like ASCII ones: Cyrillic a, e, o, Greek omicron, fullwidth a, and a
# dotless i; plus an NFD accent
_LOOK_ALIKES = "\u0430\u0435\u043e\u03bf\uff41\u0131\u0301"
_HOSTILE = "\"';\\ -.$\n\t\x00/*"


def _spliced(base: str, inserted: str, at: int) -> str:
    at = at % (len(base) + 1)
    return base[:at] + inserted + base[at:]


hostile_names = st.one_of(
    st.sampled_from(_RESERVED),
    st.from_regex(r"pg_[a-z0-9_]{0,20}", fullmatch=True),
    st.integers(min_value=64, max_value=120).map(lambda n: "a" * n),
    st.builds(
        _spliced,
        st.sampled_from(["auth", "auth_service", "billing"]),
        st.text(alphabet=_HOSTILE + _LOOK_ALIKES, min_size=1, max_size=4),
        st.integers(min_value=0, max_value=20),
    ),
    st.sampled_from(["Auth", "1auth", "", "auth service", "auth; DROP ROLE postgres; --"]),
)


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    """A TCP socket listening where the URL points: a connection attempt lands in its
    backlog (the kernel completes the handshake), so ``accept`` would find it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def _config(key: str, name: str) -> tuple[str, str]:
    """The config text with ``name`` at ``key``, and the key the error must name."""
    value = json.dumps(name, ensure_ascii=False)
    if key == "schemas":
        return f"[services.auth]\nschemas = [{value}]\n", "services.auth.schemas[0]"
    if key == "owner-role":
        text = f'[services.auth]\nschemas = ["auth"]\nrole = "auth_service"\nowner-role = {value}\n'
        return text, "services.auth.owner-role"
    return f'[services.auth]\nschemas = ["auth"]\nrole = {value}\n', "services.auth.role"


def _drain(listener: socket.socket) -> int:
    """Accept and close what is in the backlog; how many there were."""
    count = 0
    while True:
        try:
            accepted, _ = listener.accept()
        except BlockingIOError:
            return count
        accepted.close()
        count += 1


@settings(max_examples=150, deadline=None, database=None)
@given(
    key_and_name=st.one_of(
        st.tuples(st.sampled_from(["role", "owner-role", "schemas"]), hostile_names),
        st.tuples(st.just("schemas"), st.sampled_from(_RESERVED_SCHEMAS)),
    )
)
# found by this test: Python's $ matches before a trailing newline, and $ was allowed inside
@example(key_and_name=("role", "auth_service\n"))
@example(key_and_name=("schemas", "auth\n"))
@example(key_and_name=("owner-role", "auth$owner"))
def test_hostile_names_are_refused_before_any_sql(
    listener: socket.socket, key_and_name: tuple[str, str]
) -> None:
    key, name = key_and_name
    _drain(listener)
    text, named = _config(key, name)
    port = listener.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "schemakit.toml").write_text(text, encoding="utf-8")
        url = f"postgresql://postgres@127.0.0.1:{port}/platform?connect_timeout=1"
        done = sk(Path(folder), url, "provision")
    assert done.returncode == 2, (text, done.stdout, done.stderr)
    assert f"schemakit.toml: {named}:" in done.stderr
    assert "cannot connect" not in done.stderr
    assert done.stdout == ""
    assert _drain(listener) == 0  # nothing tried to connect


def test_the_listener_would_see_a_connection(listener: socket.socket) -> None:
    """The check above can fail: a valid config does reach the socket."""
    _drain(listener)
    port = listener.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "schemakit.toml").write_text(
            '[services.auth]\nschemas = ["auth"]\nrole = "auth_service"\n'
        )
        url = f"postgresql://postgres@127.0.0.1:{port}/platform?connect_timeout=1"
        done = sk(Path(folder), url, "provision")
    assert done.returncode == 2
    assert _drain(listener) >= 1


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (
            '[services.research]\nschemas = ["research"]\nrole = "research_app"\n'
            '[services.research-worker]\nschemas = ["research"]\n',
            "schema research is claimed by two services, research and research-worker",
        ),
        (
            '[services.a]\nschemas = ["a"]\nrole = "shared_app"\n'
            '[services.b]\nschemas = ["b"]\nrole = "a_app"\nowner-role = "shared_app"\n',
            "role shared_app belongs to two services, a and b",
        ),
    ],
)
def test_what_two_services_claim_is_refused_before_connecting(
    listener: socket.socket, services: str, message: str
) -> None:
    _drain(listener)
    port = listener.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "schemakit.toml").write_text(services)
        url = f"postgresql://postgres@127.0.0.1:{port}/platform?connect_timeout=1"
        done = sk(Path(folder), url, "provision")
    assert done.returncode == 2
    assert message in done.stderr
    assert _drain(listener) == 0
