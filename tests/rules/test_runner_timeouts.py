"""MIG010/MIG022 follow who applies the migrations: silent for services `schemakit migrate`
runs (it sets lock_timeout and statement_timeout itself), on for `runner = "drizzle"`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemakit.config import load_config
from schemakit.errors import ConfigError
from schemakit.lint import lint
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
