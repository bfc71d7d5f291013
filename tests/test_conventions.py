"""The conventions the model layer applies and the rules check."""

from __future__ import annotations

import pytest

from schemakit.conventions import count_name_problem, schema_name_problem


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
