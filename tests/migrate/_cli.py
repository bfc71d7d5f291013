"""``schemakit`` run in-process, for the runner's tests that need no process of their own
(signals and concurrency do): the interpreter start-up is paid once, not per command."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["sk"]


def sk(
    platform: Path, url: str, *args: str, input_: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``schemakit ARGS --config PLATFORM`` with ``DATABASE_URL=url``: exit code and output."""
    from schemakit.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("DATABASE_URL"), sys.stdin
    os.environ["DATABASE_URL"] = url
    sys.stdin = io.StringIO(input_ or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*args, "--config", str(platform)])
    finally:
        if saved[0] is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved[0]
        sys.stdin = saved[1]
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())
