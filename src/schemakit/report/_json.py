"""The JSON report; its shape is fixed by lint-report.schema.json next to this module."""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from schemakit.errors import redact
from schemakit.rules import Finding, Rule

__all__ = ["SCHEMA_VERSION", "paths_relative_to", "relative", "render_json", "to_dict"]

SCHEMA_VERSION = 1


_BASE: ContextVar[Path | None] = ContextVar("report_base", default=None)


@contextlib.contextmanager
def paths_relative_to(root: Path | None) -> Iterator[None]:
    """Report paths relative to ``root`` (the project's folder) inside the block, whatever
    the working directory: the same run from a subfolder reports the same paths."""
    token = _BASE.set(root)
    try:
        yield
    finally:
        _BASE.reset(token)


def relative(path: Path) -> str:
    """``path`` relative to the project's folder (see :func:`paths_relative_to`; default: the
    working directory) when it lies below it."""
    base = _BASE.get()
    return _relative(path, os.fspath(base) if base is not None else os.getcwd(), os.getcwd())


@functools.lru_cache(maxsize=4096)
def _relative(path: Path, base: str, cwd: str) -> str:
    # Every finding of a file asks again: thousands of identical relative_to() calls.
    absolute = path if path.is_absolute() or os.fspath(path) == "-" else Path(cwd, path)
    try:
        return str(absolute.relative_to(base))
    except ValueError:
        return os.fspath(path)


def to_dict(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": redact(finding.message),
        "help": redact(finding.help),
        "object": finding.object,
        "database": finding.database,
        "service": finding.service,
        "location": (
            {"path": relative(loc.path), "line": loc.line, "column": loc.column} if loc else None
        ),
    }


def render_json(
    findings: Sequence[Finding],
    *,
    version: str,
    rules: Sequence[type[Rule]],
    databases: Sequence[str],
    sources: Sequence[str],
    suppressed: int,
    mode: str = "",
) -> str:
    errors = sum(1 for f in findings if f.severity.value == "error")
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "schemakit", "version": version},
        "summary": {
            "findings": len(findings),
            "errors": errors,
            "warnings": len(findings) - errors,
            "suppressed": suppressed,
            "rules": len(rules),
        },
        **({"mode": mode} if mode else {}),
        "databases": list(databases),
        # paths as the findings show them (relative to the project's folder)
        "sources": [relative(Path(s)) if os.path.isabs(s) else redact(s) for s in sources],
        "findings": [],
    }
    text = json.dumps(document, indent=2)
    if not findings:
        return text + "\n"
    # One finding per line: indent=2 all the way down runs json's pure-Python encoder, ten
    # times slower than its C one, and a thousand findings are easier to grep this way too.
    items = ",\n".join("    " + json.dumps(to_dict(f)) for f in findings)
    head, tail = text.rsplit('"findings": []', 1)
    return f'{head}"findings": [\n{items}\n  ]{tail}\n'
