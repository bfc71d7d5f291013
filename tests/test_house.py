"""The house rules that no linter checks by itself: what may import the test helpers, module and
function sizes, and the README's rule table against the registry."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from schemakit.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "schemakit"


def _top_level_modules() -> set[str]:
    names = set()
    for path in SRC.iterdir():
        if path.name.startswith("__") or path.name == "py.typed":
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            names.add(f"schemakit.{path.name}")
        elif path.suffix == ".py":
            names.add(f"schemakit.{path.stem}")
    return names


def test_the_testing_contract_covers_every_module() -> None:
    """import-linter's forbidden contract lists its sources by hand: a new top-level module
    left off it could import schemakit.testing unseen."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c.get("forbidden_modules") == ["schemakit.testing"]]
    assert set(contract["source_modules"]) == _top_level_modules() - {"schemakit.testing"}


def test_only_testing_names_testing() -> None:
    """Not even a docstring outside testing/ points production code at the test helpers."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in SRC.rglob("*.py")
        if "testing" not in path.relative_to(SRC).parts
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "schemakit.testing" in line
    ]
    assert offenders == []


MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 120


def test_no_module_or_function_too_large() -> None:
    too_big = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        where = path.relative_to(ROOT)
        if text.count("\n") > MAX_MODULE_LINES:
            too_big.append(f"{where}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{where}:{node.lineno} {node.name}: {length} lines")
    assert too_big == []


def test_readme_rule_table_matches_the_registry() -> None:
    """Every registered rule has its row (code and name) in the README, and every row a rule."""
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| ([A-Z]{3}\d{3}) \| ([a-z0-9-]+) \|", readme, re.MULTILINE))
    assert rows == {rule.code: rule.name for rule in RULES}
