"""The conventions the model layer applies and the rules check."""

from __future__ import annotations

from typing import Any

import pytest
from pglast import keywords

from schemakit.conventions import count_name_problem, quote_ident, schema_name_problem


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("total_files", "file_count"),
        ("num_downloads", "download_count"),
        ("number_of_retries", "retry_count"),
        ("download_count", None),
        ("total_cents", None),  # an amount in a unit
        ("total_bytes", None),
        ("order_total", None),
        ("page_num", None),  # an ordinal
    ],
)
def test_count_names(name: str, expected: str | None) -> None:
    assert count_name_problem(name) == expected


@pytest.mark.parametrize(
    ("name", "bad"),
    [("auth", False), ("mana_auth_schema", True), ("auth_schema", True), ("public", True)],
)
def test_schema_names(name: str, bad: bool) -> None:
    assert (schema_name_problem(name) is not None) is bad


def test_quote_ident_quotes_as_postgres_does(pg_conn: Any) -> None:
    """Every keyword the parser knows, and names that need quotes for other reasons, quoted
    the way the server's own quote_ident() does (a fix on table ``user`` must run)."""
    every_keyword = (
        keywords.RESERVED_KEYWORDS
        | keywords.TYPE_FUNC_NAME_KEYWORDS
        | keywords.COL_NAME_KEYWORDS
        | keywords.UNRESERVED_KEYWORDS
    )
    # pglast carries a newer parser's keywords than this server (``json`` is one since
    # PostgreSQL 16): those are quoted, which every version reads as the same name.
    known = dict(pg_conn.execute("SELECT word, catcode FROM pg_get_keywords()").fetchall())
    newer = {w for w in every_keyword if known.get(w, "U") == "U"} - keywords.UNRESERVED_KEYWORDS
    assert {quote_ident(w) for w in newer} == {f'"{w}"' for w in newer}
    others = {"users", "user_id", "_x", "Users", "a-b", "a$b", "1st", 'say "hi"', "caf\u00e9", ""}
    names = sorted((every_keyword - newer) | others)
    server = pg_conn.execute("SELECT quote_ident(n) FROM unnest(%s::text[]) AS n", [names])
    assert [quote_ident(n) for n in names] == [row[0] for row in server.fetchall()]
    assert quote_ident("user") == '"user"'
    assert quote_ident("files") == "files"
