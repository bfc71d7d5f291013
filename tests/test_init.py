"""`schemakit init` on a monorepo written the way the guideline's teams write one, then
`schemakit lint` on what it wrote: no hand-written config, no silent zero."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from schemakit.cli import main

MONOREPO = Path(__file__).parent / "fixtures" / "monorepo"


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    root = tmp_path / "mono"
    shutil.copytree(MONOREPO, root)
    # what a package manager leaves around is never a service
    vendored = root / "node_modules" / "some-lib"
    vendored.mkdir(parents=True)
    (vendored / "drizzle.config.ts").write_text("export default { schema: './x.ts' };\n")
    return root


def test_init_writes_a_config_lint_runs(monorepo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(monorepo)]) == 0
    out, err = capsys.readouterr()
    assert "wrote" in out
    assert "schemas from its schemaFilter: auth" in err  # it says why
    config = tomllib.loads((monorepo / "schemakit.toml").read_text())
    assert config["services"] == {
        "auth": {
            "schemas": ["auth"],
            "migrations": "apps/auth/drizzle",
            "runner": "drizzle",  # drizzle-kit migrate applies it: MIG010/MIG022 apply
            "sources": ["apps/auth/src/db/schema"],  # from the glob ./src/db/schema/*.ts
        },
        "billing": {
            "schemas": ["billing", "payments"],
            # drizzle-kit's one folder per schema, below its out folder
            "migrations": ["apps/billing/drizzle/billing", "apps/billing/drizzle/payments"],
            "runner": "drizzle",
            "sources": [
                "apps/billing/src/db/invoices.ts",
                "apps/billing/src/db/payments.ts",
                "apps/billing/src/db/auth-mirror.ts",
            ],
            # declared to join against auth's table, outside billing's schemaFilter
            "read-only": ["auth.users"],
        },
        "credits": {
            # no schemaFilter: the pgSchema(...) calls of its sources
            "schemas": ["credits"],
            "migrations": "apps/credits/migrations",
            "runner": "drizzle",
            "sources": ["apps/credits/src/schema/balances.ts", "apps/credits/src/schema/enums.ts"],
        },
        "files": {
            "schemas": ["files"],
            "migrations": "apps/files/migrations",
            # its first file alters what `drizzle-kit push` made
            "baseline": "sources",
            "runner": "drizzle",
            "sources": ["apps/files/src/db/schema.ts"],
        },
    }
    assert config["lint"] == {"library-tables": ["better-auth:auth"]}

    # a second run changes nothing; a config that differs is kept unless --force
    assert main(["init", str(monorepo)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    (monorepo / "schemakit.toml").write_text("# mine\n")
    assert main(["init", str(monorepo)]) == 2
    assert "exists and says something else" in capsys.readouterr().err
    assert (monorepo / "schemakit.toml").read_text() == "# mine\n"
    assert main(["init", str(monorepo), "--force"]) == 0
    assert (
        tomllib.loads((monorepo / "schemakit.toml").read_text())["services"] == config["services"]
    )

    capsys.readouterr()
    assert main(["lint", str(monorepo), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    found = sorted(
        (f["code"], f["location"]["path"], f["location"]["line"], f["service"])
        for f in report["findings"]
    )
    assert found == sorted(
        [
            # the push-based folder replays on its baseline (what the sources declare): no
            # APL001, and what its statements risk
            ("MIG003", "apps/files/migrations/0001_add_mime.sql", 2, "files"),
            ("MIG010", "apps/files/migrations/0001_add_mime.sql", 2, "files"),
            # the module-level pgEnum, at its line
            ("ISO002", "apps/credits/src/schema/enums.ts", 4, "credits"),
            # Better Auth's tables keep their names and types, but get their indexes checked,
            # at the column's line
            ("IDX001", "apps/auth/src/db/schema/auth.ts", 20, "auth"),
            ("IDX003", "apps/auth/src/db/schema/auth.ts", 20, "auth"),
            # drizzle-kit pull's index form (.using, .asc().nullsLast().op(...)) is read (no
            # IDX003), its name judged at the index() line
            ("NAM008", "apps/files/src/db/schema.ts", 19, "files"),
            # a shared package's file that does not parse: said, and its raw pgTable( found
            # as the guideline's rg finds it
            ("ISO001", "packages/ui/src/broken.ts", 4, None),
            ("SYN002", "packages/ui/src/broken.ts", 5, None),
        ]
    )


def test_init_exempt_service_and_errors(monorepo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(monorepo), "--exempt", "files=sync"]) == 0
    config = tomllib.loads((monorepo / "schemakit.toml").read_text())
    assert config["exempt-databases"] == ["sync"]
    assert config["services"]["files"]["database"] == "sync"
    assert main(["init", str(monorepo), "--exempt", "nope=sync", "--force"]) == 2
    assert "no service 'nope' was found" in capsys.readouterr().err
    assert main(["init", str(monorepo), "--exempt", "files"]) == 2
    assert "write SERVICE=DATABASE" in capsys.readouterr().err


def test_lint_from_a_subfolder_and_of_two_files_reports_as_from_the_root(
    monorepo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def findings(*args: str) -> list[tuple[str, str, int, str | None]]:
        capsys.readouterr()
        assert main(["lint", *args, "--format", "json"]) == 1
        report = json.loads(capsys.readouterr().out)
        return sorted(
            (f["code"], f["location"]["path"], f["location"]["line"], f["service"])
            for f in report["findings"]
        )

    assert main(["init", str(monorepo)]) == 0
    monkeypatch.chdir(monorepo)
    everything = findings()
    # from a service's folder: the whole project, paths relative to its root
    monkeypatch.chdir(monorepo / "apps" / "files")
    assert findings() == everything
    # two files (as `git diff --name-only | xargs schemakit lint` passes them): each linted
    # with the project, so the catalog rules still run; the same findings, the same paths
    two = findings("migrations/0001_add_mime.sql", "src/db/schema.ts")
    assert two == [f for f in everything if f[1].startswith("apps/files/")]
    assert {f[0] for f in two} == {"MIG003", "MIG010", "NAM008"}


def test_init_sets_a_baseline_where_the_first_migration_alters(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A drizzle-kit folder that starts at 0000 but whose first statement (after comments)
    alters what push made gets a baseline too; one that creates first does not."""
    folder = monorepo / "apps" / "credits" / "migrations"
    first = folder / "0000_init.sql"
    first.write_text(
        "-- push made credits.balances\n/* a note */\nALTER TABLE credits.balances "
        "ADD COLUMN note text;\n"
    )
    assert main(["init", str(monorepo)]) == 0
    config = tomllib.loads((monorepo / "schemakit.toml").read_text())
    assert config["services"]["credits"]["baseline"] == "sources"
    assert "baseline" not in config["services"]["auth"]  # its 0000 creates its schema
    assert (
        "the first migration does not start from an empty schema"
        in (monorepo / "schemakit.toml").read_text()
    )
