"""One rule pipeline: `schemakit lint` and the gate `schemakit migrate` runs before applying
agree on what a team turned off or down, wherever they wrote it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from schemakit.config import load_config
from schemakit.errors import MigrationError
from schemakit.lint import lint
from schemakit.migrate import migrate
from schemakit.rules import Severity
from schemakit.testing import Cluster

UNSAFE = "ALTER TABLE app.users ADD COLUMN email text NOT NULL;\n"

CASES = {
    "nothing": ("", UNSAFE),
    "ignored in [lint]": ('[lint]\nignore = ["MIG003"]\n', UNSAFE),
    "per-file ignore": ('[lint.per-file-ignores]\n"app/0002_*.sql" = ["MIG003"]\n', UNSAFE),
    "inline ignore": ("", "-- schemakit: ignore[MIG003]\n" + UNSAFE),
    "severity override": ('[lint.severity]\nMIG003 = "warning"\n', UNSAFE),
}


@pytest.mark.parametrize("case", CASES)
def test_lint_and_the_migrate_gate_agree(case: str, tmp_path: Path, pg_cluster: Cluster) -> None:
    settings, unsafe = CASES[case]
    (tmp_path / "schemakit.toml").write_text(
        textwrap.dedent(
            """
            [services.app]
            schemas = ["app"]
            migrations = "app"
            """
        )
        + settings
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "0001_init.sql").write_text(
        "CREATE SCHEMA app;\nCREATE TABLE app.users (id uuid PRIMARY KEY);\n"
    )
    database = f"gate_{list(CASES).index(case)}"
    pg_cluster.create_database(database)
    try:
        url = f"postgresql://postgres@/{database}?host={pg_cluster.socket_dir}"
        config = load_config(tmp_path)
        migrate(url, config)  # 0001: the table now exists (and is empty, so 0002 can apply)
        (tmp_path / "app" / "0002_email.sql").write_text(unsafe)

        found = lint(tmp_path, cluster=pg_cluster).findings
        lint_blocks = any(f.code == "MIG003" and f.severity is Severity.ERROR for f in found)
        blocked: MigrationError | None = None
        try:
            migrate(url, load_config(tmp_path))
        except MigrationError as exc:
            blocked = exc
        if blocked is not None and "unsafe statement" not in str(blocked):
            raise blocked  # failed for another reason than the gate
        gate_blocks = blocked is not None
    finally:
        pg_cluster.drop_database(database)
    assert lint_blocks == gate_blocks == (case == "nothing")
