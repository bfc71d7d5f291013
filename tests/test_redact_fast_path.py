"""redact's shortcut (no ``:/`` and no ``password``: nothing to do) changes no result."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from schemakit import errors

_PIECES = st.sampled_from(
    [
        "password",
        "PassWord",
        "pa\u017f\u017fword",
        "=",
        " = ",
        "'a b'",
        ":/",
        "://",
        "@",
        "?",
        "&",
        "x",
    ]
)


def _slow(text: str) -> str:
    """redact without the shortcut: every pattern, always."""
    for secret in sorted(errors._SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = errors._URL_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    text = errors._QUERY_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    return errors._KV_PASSWORD.sub(lambda m: m.group("head") + "***", text)


@given(st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=12).map("".join))
@example("postgresql://u:secret@h/db")
@example("host=h PASSWORD=secret")
@example("pa\u017f\u017fword=secret")  # the long s: IGNORECASE matches it as s
@example("MIG010: ALTER TABLE app.t takes an ACCESS EXCLUSIVE lock")
def test_redact_is_the_same_with_and_without_its_shortcut(text: str) -> None:
    assert errors.redact(text) == _slow(text)
