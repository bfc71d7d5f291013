"""The human report: grouped by file (or by database for live objects), coloured on a TTY."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO

from schemakit.errors import redact
from schemakit.report._json import relative
from schemakit.rules import Finding, Severity

__all__ = ["MODES", "render_text"]

MODES = {
    "replay": "migrations replayed into a throwaway PostgreSQL",
    "live": "live database",
    "sql": "SQL statements, no database",
    "sql-replay": "SQL files, also replayed into a throwaway PostgreSQL",
}
"""What the summary line says about how the findings were made."""


def render_text(
    findings: Sequence[Finding],
    *,
    stream: IO[str],
    suppressed: int,
    databases: Sequence[str],
    color: bool | None = None,
    mode: str = "",
) -> None:
    lines = _lines(findings, suppressed, databases, mode)
    plain = color is False or (color is None and not _colour_wanted(stream))
    if plain and not any("\t" in part for parts in lines for part, _ in parts):
        # what rich writes without colour, without loading rich (a third of the start-up of
        # a pre-commit lint of one file); a tab, which rich expands by cell widths, is left
        # to rich
        for parts in lines:
            text = "".join(part for part, _ in parts)
            stream.write(text.translate(_DROPPED_CONTROLS) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        force_terminal=color,
        no_color=color is False,
        highlight=False,
        soft_wrap=True,
    )
    for parts in lines:
        line = Text()
        for part, style in parts:
            line.append(part, style=style or None)
        console.print(line)


_DROPPED_CONTROLS = dict.fromkeys(map(ord, "\a\b\v\f\r"))
"""The control codes rich strips from text it prints."""


def _colour_wanted(stream: IO[str]) -> bool:
    """Colour, as rich decides it: a terminal, or FORCE_COLOR/TTY_COMPATIBLE set."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


Line = list[tuple[str, str]]
"""One line of the report: its parts, each with its rich style ("" for none)."""


def _lines(
    findings: Sequence[Finding], suppressed: int, databases: Sequence[str], mode: str
) -> list[Line]:
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.location is not None:
            key = relative(finding.location.path)
        else:
            key = f"database {finding.database}" if finding.database else "(no location)"
        groups.setdefault(key, []).append(finding)
    lines: list[Line] = []
    for key, items in groups.items():
        lines.append([(key, "bold underline")])
        for finding in items:
            line: Line = [("  ", "")]
            if finding.location is not None:
                line.append((f"{finding.location.line}:{finding.location.column}", "dim"))
                line.append((" ", ""))
            style = "bold red" if finding.severity is Severity.ERROR else "bold yellow"
            line.append((finding.code, style))
            line.append((f" [{finding.name}] ", "dim"))
            line.append((redact(finding.message), ""))
            lines.append(line)
            lines.append([("      help: " + redact(finding.help), "cyan")])
        lines.append([])
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    where = ", ".join(databases) if databases else "nothing"
    if findings:
        summary = [
            (
                f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} "
                f"({errors} error{'s' if errors != 1 else ''}, {warnings} warning"
                f"{'s' if warnings != 1 else ''}) in {where}",
                "bold",
            )
        ]
    else:
        summary = [(f"All checks passed ({where})", "bold green")]
    dim = f"{summary[0][1]} dim"  # over the summary's own style, as rich's Text.append
    if suppressed:
        summary.append((f"; {suppressed} suppressed", dim))
    if mode:
        summary.append((f" [{MODES[mode]}]", dim))
    lines.append(summary)
    return lines
