"""Every rule fires on its fail fixture and stays silent on its pass fixture, on real PostgreSQL."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from schemakit.config import load_config
from schemakit.lint import LintOptions, lint
from schemakit.report import render_text
from schemakit.rules import RULES
from schemakit.testing import Cluster

FIXTURES = Path(__file__).parent / "fixtures"
CODES = [rule.code for rule in RULES]
UPDATE = os.environ.get("SCHEMAKIT_UPDATE_SNAPSHOTS") == "1"


def test_every_rule_has_fail_and_pass_fixtures() -> None:
    for code in CODES:
        for kind in ("fail", "pass"):
            assert (FIXTURES / code / kind / "schemakit.toml").is_file(), f"{code}/{kind} missing"
        assert (FIXTURES / code / "fail" / "expected.txt").is_file(), f"{code} has no snapshot"


def test_no_fixture_without_a_rule() -> None:
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} <= set(CODES)


def _render(findings: list, suppressed: int, databases: list[str]) -> str:  # type: ignore[type-arg]
    out = io.StringIO()
    render_text(findings, stream=out, suppressed=suppressed, databases=databases, color=False)
    return out.getvalue()


@pytest.mark.parametrize("code", CODES)
def test_fail_fixture_fires(
    code: str, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = FIXTURES / code / "fail"
    monkeypatch.chdir(folder)
    result = lint(Path("."), cluster=pg_cluster)
    assert result.findings, f"{code} found nothing in its fail fixture"
    assert {f.code for f in result.findings} == {code}
    rendered = _render(result.findings, result.suppressed, result.databases)
    snapshot = folder / "expected.txt"
    if UPDATE:
        snapshot.write_text(rendered)
    assert rendered == snapshot.read_text()


@pytest.mark.parametrize("code", CODES)
def test_pass_fixture_is_clean(code: str, pg_cluster: Cluster) -> None:
    result = lint(FIXTURES / code / "pass", cluster=pg_cluster)
    assert result.findings == [], [f.message for f in result.findings]


# Rules that judge what the database holds, checked again on a live database built from the
# fail fixture: the same rule, a second Catalog source. ISO007 needs migration provenance or
# owner roles, ISO006 and SUP001 read the config and comments, so they are not repeated here.
# The naming, type, column and index rules only read the catalog: all of them are.
LIVE = [
    "ISO001",
    "ISO002",
    "ISO003",
    "ISO004",
    "ISO005",
    "ISO008",
    "ISO009",
    *(code for code in CODES if code[:3] in ("NAM", "TYP", "COL", "IDX")),
]


@pytest.mark.parametrize("code", LIVE)
def test_fail_fixture_fires_on_a_live_database(code: str, pg_conn, pg_dsn: str) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / code / "fail"
    for sql in sorted(folder.rglob("*.sql"), key=lambda p: (p.parent.name != "auth", p.name)):
        pg_conn.execute(sql.read_text().encode())
    result = lint(folder, LintOptions(database_url=pg_dsn, database="main"))
    assert code in {f.code for f in result.findings}
    assert all(f.location is None or f.location.path.suffix == ".toml" for f in result.findings)


@pytest.mark.parametrize("code", ["ISO001", "ISO004", "ISO008"])
def test_pass_fixture_is_clean_on_a_live_database(code: str, pg_conn, pg_dsn: str) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / code / "pass"
    # the migrations of the services in database main only (a fixture may have others)
    config = load_config(folder)
    files = [
        sql
        for service in config.services_in("main")
        if service.migrations is not None
        for sql in service.migrations.rglob("*.sql")
    ]
    for sql in sorted(files, key=lambda p: (p.parent.name != "auth", p.name)):
        pg_conn.execute(sql.read_text().encode())
    result = lint(folder, LintOptions(database_url=pg_dsn, database="main"))
    assert result.findings == []
