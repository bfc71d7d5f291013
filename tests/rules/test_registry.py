"""The registry's table says, without importing them, what each rule is: it must agree with
the classes, and a lint of SQL files must load only the rules it can run."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import schemakit.rules
from schemakit.rules import RULES, CatalogRule, Rule, SqlRule, get_rule, meta_rule, select_rules
from schemakit.rules._registry import TABLE


def _kind(rule: type[Rule]) -> str:
    if issubclass(rule, SqlRule):
        return "sql"
    return "catalog" if issubclass(rule, CatalogRule) else "other"


def test_each_entry_is_what_its_class_says() -> None:
    for entry in TABLE:
        rule = entry.load()
        assert (rule.code, rule.name, rule.status, rule.meta, _kind(rule)) == (
            entry.code,
            entry.name,
            entry.status,
            entry.meta,
            entry.kind,
        )
    assert [rule.code for rule in RULES] == [entry.code for entry in TABLE]
    assert len({entry.code for entry in TABLE}) == len(TABLE)


def test_every_rule_class_is_in_the_table() -> None:
    """A rule module added without its table entry would never run."""
    listed = set(RULES)
    found = set()
    for info in pkgutil.walk_packages(schemakit.rules.__path__, "schemakit.rules."):
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, Rule)
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                found.add(value)
    assert found == listed


def test_lookups_load_only_what_they_name() -> None:
    assert get_rule("MIG001") is get_rule("index-without-concurrently") is RULES[41]
    assert get_rule("nope") is None
    assert meta_rule("syntax").code == "SYN001"
    chosen = select_rules(("ALL",), ("MIG01",), keep=lambda entry: entry.kind == "sql")
    assert [rule.code for rule in chosen][:3] == ["MIG001", "MIG002", "MIG003"]
    assert all(rule.code[:5] != "MIG01" and issubclass(rule, SqlRule) for rule in chosen)


def test_linting_sql_files_loads_no_catalog_rule_or_database_driver(tmp_path: Path) -> None:
    """``lint --sql FILE`` (a pre-commit hook) pays only for what it runs: no catalog rule, no
    catalog model, no SQLAlchemy, psycopg or rich (its output is not a terminal)."""
    sql = tmp_path / "0001.sql"
    sql.write_text("CREATE INDEX i ON app.t (c);\nALTER TABLE app.t ADD COLUMN d int NOT NULL;\n")
    probe = (
        "import sys\n"
        "from schemakit.cli import main\n"
        f"code = main(['lint', '--sql', {str(sql)!r}])\n"
        "families = {'iso', 'sec', 'nam', 'typ', 'col', 'idx'}\n"
        "loaded = [m for m in sys.modules if m.split('.')[2:3] and m.split('.')[2] in families\n"
        "          and m.startswith('schemakit.rules.') or m.split('.')[0] in\n"
        "          ('sqlalchemy', 'psycopg', 'rich') or m.startswith('schemakit.catalog')]\n"
        "print(code, sorted(loaded))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    assert "MIG001" in done.stdout
    assert done.stdout.splitlines()[-1] == "1 []"
