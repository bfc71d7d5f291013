"""The human report: grouped by file (or by database for live objects), coloured on a TTY."""

from __future__ import annotations

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
    # rich loads here, not at import: the json and sarif formats never need it
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=stream,
        force_terminal=color,
        no_color=color is False,
        highlight=False,
        soft_wrap=True,
    )
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.location is not None:
            key = relative(finding.location.path)
        else:
            key = f"database {finding.database}" if finding.database else "(no location)"
        groups.setdefault(key, []).append(finding)
    for key, items in groups.items():
        console.print(Text(key, style="bold underline"))
        for finding in items:
            line = Text("  ")
            if finding.location is not None:
                line.append(f"{finding.location.line}:{finding.location.column}", style="dim")
                line.append(" ")
            style = "bold red" if finding.severity is Severity.ERROR else "bold yellow"
            line.append(finding.code, style=style)
            line.append(f" [{finding.name}] ", style="dim")
            line.append(redact(finding.message))
            console.print(line)
            console.print(Text("      help: ", style="cyan") + Text(redact(finding.help)))
        console.print()
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    where = ", ".join(databases) if databases else "nothing"
    if findings:
        summary = Text(
            f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} "
            f"({errors} error{'s' if errors != 1 else ''}, {warnings} warning"
            f"{'s' if warnings != 1 else ''}) in {where}",
            style="bold",
        )
    else:
        summary = Text(f"All checks passed ({where})", style="bold green")
    if suppressed:
        summary.append(f"; {suppressed} suppressed", style="dim")
    if mode:
        summary.append(f" [{MODES[mode]}]", style="dim")
    console.print(summary)
