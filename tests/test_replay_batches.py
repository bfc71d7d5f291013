"""The replay sends statements in batches (one round trip each); what it finds is exactly what
replaying statement by statement finds: the same objects, credited to the same statements,
and a refused migration reported at the same statement with the same words."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemakit.lint import LintResult, _replay, lint
from schemakit.testing import Cluster

# Each piece is a few statements of one file; {n} makes its names unique. Some behave
# differently in a transaction than alone (SET LOCAL, LOCK, enum values, ON COMMIT DROP), some
# cannot run in one (CONCURRENTLY), some fail (then the service's later files are skipped).
PIECES = {
    "table": "CREATE TABLE {s}.t{n} (id bigint PRIMARY KEY, created_at timestamptz);\n",
    "public": "CREATE TABLE t{n} (id bigint);\n",
    "wrapped": "BEGIN;\nSET LOCAL search_path = {s};\nCREATE TABLE w{n} (id int);\nCOMMIT;\n",
    "set_local": "SET LOCAL search_path = {s};\nCREATE TABLE l{n} (id int);\n",
    "concurrently": "CREATE TABLE {s}.c{n} (v int);\nCREATE INDEX CONCURRENTLY ci{n} ON {s}.c{n} (v);\n",
    "enum": "CREATE TYPE {s}.e{n} AS ENUM ('a');\nALTER TYPE {s}.e{n} ADD VALUE 'b';\n"
    "CREATE TABLE {s}.u{n} (v {s}.e{n} DEFAULT 'b');\n",
    "lock": "CREATE TABLE {s}.k{n} (id int);\nLOCK TABLE {s}.k{n};\n",
    "do": "DO $$ BEGIN EXECUTE 'CREATE TABLE {s}.d{n} (id int)'; END $$;\n",
    "do_commit": "DO $$ BEGIN CREATE TABLE {s}.dc{n} (id int); COMMIT; END $$;\n",
    "move": "CREATE TABLE m{n} (id int, ref bigint);\nALTER TABLE m{n} SET SCHEMA {s};\n"
    "ALTER TABLE {s}.m{n} RENAME TO mr{n};\n",
    "on_commit_drop": "CREATE TEMP TABLE tmp{n} (id int) ON COMMIT DROP;\n"
    "CREATE TABLE {s}.after{n} AS SELECT * FROM tmp{n};\n",
    "fails": "CREATE TABLE {s}.f{n} (id int);\nALTER TABLE {s}.missing{n} ADD COLUMN x int;\n",
    "open": "BEGIN;\nCREATE TABLE {s}.o{n} (id int);\n",
}


def _write(root: Path, services: list[list[list[str]]]) -> None:
    config = []
    n = 0
    for s, files in enumerate(services):
        name = f"svc{s}"
        folder = root / name
        folder.mkdir(parents=True)
        config += [f"[services.{name}]", f'schemas = ["{name}"]', f'migrations = "{name}"']
        for f, pieces in enumerate(files):
            text = f"CREATE SCHEMA {name};\n" if f == 0 else ""
            for piece in pieces:
                n += 1
                text += PIECES[piece].format(s=name, n=n)
            (folder / f"{f:04d}_step.sql").write_text(text)
    (root / "schemakit.toml").write_text('database = "platform"\n' + "\n".join(config) + "\n")


def _lint(
    root: Path, cluster: Cluster, batched: bool, monkeypatch: pytest.MonkeyPatch
) -> LintResult:
    monkeypatch.setattr(_replay, "BATCHED", batched)
    return lint(root, cluster=cluster)


def _same(root: Path, cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> LintResult:
    batched = _lint(root, cluster, True, monkeypatch)
    one_by_one = _lint(root, cluster, False, monkeypatch)
    assert batched.findings == one_by_one.findings
    assert batched.suppressed == one_by_one.suppressed
    return batched


def test_every_piece_as_replayed_one_by_one(
    pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = [[["table", piece, "table"], ["table"]] for piece in PIECES]
    _write(tmp_path, services)
    result = _same(tmp_path, pg_cluster, monkeypatch)
    refused = {
        (f.service, f.location.path.name, f.location.line)
        for f in result.findings
        if f.code == "APL001" and f.location
    }
    # LOCK outside a transaction fails alone, and so does reading a temporary table dropped at
    # the commit of its own statement: they fail batched too; the missing table is refused at
    # its own statement (schema, table, then the piece's two statements: line 4)
    failing = [f"svc{list(PIECES).index(p)}" for p in ("lock", "on_commit_drop", "fails")]
    assert refused == {(service, "0000_step.sql", 4) for service in failing}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.lists(st.sampled_from(sorted(PIECES)), max_size=4), min_size=1, max_size=3),
        min_size=1,
        max_size=3,
    )
)
def test_batches_find_what_one_by_one_finds(
    pg_cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    services: list[list[list[str]]],
) -> None:
    root = tmp_path_factory.mktemp("platform")
    _write(root, services)
    _same(root, pg_cluster, monkeypatch)


def test_long_services_cross_the_batch_limit(
    pg_cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_replay, "_RUN_LIMIT", 5)
    files = [["table", "public", "do"] for _ in range(6)]
    _write(tmp_path, [files, [*files[:3], ["table", "fails", "table"], *files[3:]]])
    result = _same(tmp_path, pg_cluster, monkeypatch)
    assert [f.location.path.name for f in result.findings if f.code == "APL001"] == [
        "0003_step.sql"
    ]
