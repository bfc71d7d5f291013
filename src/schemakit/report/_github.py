"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from schemakit.errors import redact
from schemakit.report._json import relative
from schemakit.rules import Finding, Severity

__all__ = ["annotation", "escape_data", "escape_property", "render_github"]


def escape_data(text: str) -> str:
    """Escape a command's message the way the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value; ':' and ',' would otherwise end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    command = "error" if finding.severity is Severity.ERROR else "warning"
    properties: list[tuple[str, str]] = []
    message = redact(finding.message)
    if finding.location is not None:
        loc = finding.location
        properties += [
            ("file", Path(relative(loc.path)).as_posix()),
            ("line", str(loc.line)),
            ("col", str(loc.column)),
        ]
    elif finding.object:
        message = f"{redact(finding.object)}: {message}"
    properties.append(("title", f"{finding.code} {finding.name}"))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{command} {rendered}::{escape_data(message)}"


def render_github(findings: Sequence[Finding]) -> str:
    return "".join(annotation(f) + "\n" for f in findings)
