"""Suppression matching, without a database."""

from __future__ import annotations

from pathlib import Path

from schemakit.rules import RULES, Finding, InlineIgnore, Location, Severity, apply_suppressions
from schemakit.sql import read_suppressions


def finding(code: str, obj: str, line: int = 3) -> Finding:
    return Finding(code, "x", "m", "h", Severity.ERROR, obj, "main", Location(Path("a.sql"), line))


def test_per_object_pattern_matches_a_function_without_its_signature() -> None:
    out = apply_suppressions(
        [finding("ISO003", "public.set_updated_at(a integer)")],
        enabled=RULES,
        per_object={"public.set_updated_at": ("ISO003",)},
    )
    assert out.findings == []
    assert len(out.suppressed) == 1


def test_prefix_suppression_and_unused_report() -> None:
    ignores = [
        InlineIgnore(Path("a.sql"), 3, 4, "ISO", 2),
        InlineIgnore(Path("a.sql"), 9, 9, "ISO002", 8),
    ]
    out = apply_suppressions([finding("ISO001", "public.t")], enabled=RULES, inline=ignores)
    assert [f.code for f in out.suppressed] == ["ISO001"]
    assert [(f.code, f.location.line if f.location else None) for f in out.findings] == [
        ("SUP001", 8)
    ]


def test_suppressions_come_from_comments_only() -> None:
    text = (
        "-- schemakit: ignore[ISO001]\n"
        "SELECT '-- schemakit: ignore[ISO002]';\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 -- schemakit: ignore[ISO003]\n$$;\n"
        "/* schemakit: ignore[IS0001, ISO004] */\n"
    )
    found = [(s.line, s.codes, s.invalid) for s in read_suppressions(text)]
    assert found == [(1, ("ISO001",), ()), (5, ("ISO004",), ("IS0001",))]
