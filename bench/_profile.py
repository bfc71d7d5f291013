"""What the benchmarks print of a cProfile run: the table, from its header on, indented."""

from __future__ import annotations

import io
import pstats


def table_lines(stats: pstats.Stats, top: int) -> list[str]:
    """The ``top`` rows of ``stats`` (sorted as they are) and their header, two spaces in."""
    stream = io.StringIO()
    stats.stream = stream  # type: ignore[attr-defined]
    stats.print_stats(top)
    lines = []
    keep = False
    for line in stream.getvalue().splitlines():
        if line.strip().startswith("ncalls"):
            keep = True
        if keep and line.strip():
            lines.append("  " + line.rstrip())
    return lines
