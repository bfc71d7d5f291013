"""What every command shares: exit codes and the progress line on stderr."""

from __future__ import annotations

import re
import sys
import time

import click

from schemakit.errors import redact

__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "say",
    "without_driver",
]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
"""0 nothing to report; 1 findings (lint), pending or drifted (status, drift), disagreements
(explain-locks); 2 an error."""

_STEP = re.compile(r": (applying|applied revision) ")
_last_step = [0.0]


def say(message: str) -> None:
    """``schemakit: message`` on stderr, passwords redacted."""
    # Per-migration progress is for people: on a terminal every step shows; in a CI log one
    # line a second is enough (a thousand lines would bury the rest). Other messages (waiting
    # for a lock, retries) always print.
    if _STEP.search(message) and not sys.stderr.isatty():
        now = time.monotonic()
        if now - _last_step[0] < 1.0:
            return
        _last_step[0] = now
    click.echo(f"schemakit: {redact(message)}", err=True)


_DRIVER_SCHEME = re.compile(r"^(postgres(?:ql)?)\+\w+://")


def libpq_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--database-url`` callback: an SQLAlchemy URL naming its driver
    (``postgresql+psycopg://``, what ``Cluster.url()`` and ``Database`` use) is the libpq URL
    without the ``+driver`` part."""
    return without_driver(value) if value else value


def without_driver(url: str) -> str:
    """``postgresql+psycopg://...`` as libpq reads it: ``postgresql://...``."""
    return _DRIVER_SCHEME.sub(r"\1://", url)
