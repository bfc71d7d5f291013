"""MIG010/MIG022 follow who applies the migrations: silent for services `schemakit migrate`
runs (it sets lock_timeout and statement_timeout itself), on for `runner = "drizzle"`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from schemakit.config import load_config
from schemakit.errors import ConfigError
from schemakit.lint import lint, lint_files
from schemakit.testing import Cluster

JOURNAL = {
    "version": "7",
    "dialect": "postgresql",
    "entries": [
        {"idx": i, "version": "7", "when": 1700000000000 + i, "tag": tag, "breakpoints": True}
        for i, tag in enumerate(("0000_init", "0001_change"))
    ],
}


def project(root: Path, runner: str | None) -> Path:
    folder = root / "drizzle"
    (folder / "meta").mkdir(parents=True)
    (folder / "meta" / "_journal.json").write_text(json.dumps(JOURNAL))
    (folder / "0000_init.sql").write_text(
        'CREATE SCHEMA "app";\n--> statement-breakpoint\n'
        'CREATE TABLE "app"."files" ("id" uuid PRIMARY KEY NOT NULL, "size" integer);\n'
    )
    (folder / "0001_change.sql").write_text(
        'ALTER TABLE "app"."files" ADD CONSTRAINT "files_size_check" CHECK ("size" >= 0);\n'
    )
    line = f'runner = "{runner}"\n' if runner else ""
    (root / "schemakit.toml").write_text(
        '[services.app]\nschemas = ["app"]\nmigrations = "drizzle"\n'
        f'{line}\n[lint]\nselect = ["MIG010", "MIG022"]\n'
    )
    return root


@pytest.mark.parametrize(
    ("runner", "expected"),
    [
        (None, set()),
        ("schemakit", set()),
        ("drizzle", {"MIG010", "MIG022"}),
        ("other", {"MIG010", "MIG022"}),
    ],
)
def test_timeouts_are_wanted_where_the_runner_sets_none(
    tmp_path: Path, pg_cluster: Cluster, runner: str | None, expected: set[str]
) -> None:
    result = lint(project(tmp_path, runner), cluster=pg_cluster)
    assert {f.code for f in result.findings} == expected


def test_an_unknown_runner_is_a_config_error(tmp_path: Path) -> None:
    project(tmp_path, "flyway")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = caught.value.render()
    assert "services.app.runner" in message
    assert "'flyway'" in message
    assert "schemakit, drizzle, other" in message


@pytest.mark.parametrize(
    ("runner", "expected"),
    [
        (None, set()),
        ("schemakit", set()),
        ("drizzle", {"MIG010", "MIG022"}),
        ("other", {"MIG010", "MIG022"}),
    ],
)
def test_sql_mode_follows_the_runner_of_the_files_service(
    tmp_path: Path, runner: str | None, expected: set[str]
) -> None:
    """``lint --sql`` of the folder, or of one of its files, judges it as ``lint`` of the
    project does (the same config, the same service)."""
    root = project(tmp_path, runner)
    for paths in ([root / "drizzle"], [root / "drizzle" / "0001_change.sql"]):
        result = lint_files(paths)
        assert {f.code for f in result.findings} == expected, paths


def test_sql_mode_outside_any_service_wants_timeouts(tmp_path: Path) -> None:
    """A file no service of the config holds may be applied by anything: MIG010 stands."""
    root = project(tmp_path, None)
    loose = root / "scratch.sql"
    loose.write_text('ALTER TABLE "app"."files" ADD CONSTRAINT "c" CHECK ("size" < 9);\n')
    assert {f.code for f in lint_files([loose]).findings} == {"MIG010", "MIG022"}
    mixed = lint_files([loose, root / "drizzle" / "0001_change.sql"])
    assert {f.code for f in mixed.findings} == {"MIG010", "MIG022"}
    piped = lint_files([Path("-")], stdin=io.BytesIO(loose.read_bytes()), config=load_config(root))
    assert {f.code for f in piped.findings} == {"MIG010", "MIG022"}
