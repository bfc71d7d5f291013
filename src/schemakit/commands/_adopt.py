"""Adopting a database that exists and keeping its ledger honest: baseline, repair, validate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemakit.commands._common import Say, need_url, quiet
from schemakit.config import Config, load_config

if TYPE_CHECKING:
    from schemakit.migrate import Baseline

__all__ = ["Problem", "baseline", "repair", "validate"]


def _setup(start: Path, url: str | None) -> tuple[Config, str]:
    return load_config(start), need_url(url, "no database")


def baseline(
    start: Path,
    url: str | None,
    service: str,
    *,
    to: str | None = None,
    check: bool = True,
    dry_run: bool = False,
    timeout: float = 300.0,
    say: Say = quiet,
) -> Baseline:
    """Record ``service``'s migrations (up to ``to``) as applied without running them, after
    checking (unless not ``check``) that the objects they create exist."""
    from schemakit.migrate import MigrateOptions
    from schemakit.migrate import baseline as record

    config, url = _setup(start, url)
    options = MigrateOptions(timeout=timeout)
    return record(
        url, config, service, to=to, check=check, dry_run=dry_run, options=options, say=say
    )


def repair(
    start: Path,
    url: str | None,
    service: str,
    confirm: Callable[[list[Any]], bool],
    *,
    dry_run: bool = False,
    timeout: float = 300.0,
    say: Say = quiet,
) -> tuple[list[Any], bool]:
    """The repairs ``service``'s ledger needs, and whether they were carried out (after
    ``confirm`` said yes)."""
    from schemakit.migrate import MigrateOptions
    from schemakit.migrate import repair as run

    config, url = _setup(start, url)
    options = MigrateOptions(timeout=timeout)
    return run(url, config, service, confirm=confirm, dry_run=dry_run, options=options, say=say)


@dataclass(frozen=True)
class Problem:
    service: str
    id: str
    state: str
    problem: str


def validate(
    start: Path,
    url: str | None,
    services: Sequence[str] = (),
    *,
    database: str | None = None,
    timeout: float = 300.0,
    say: Say = quiet,
) -> list[Problem]:
    """What would stop ``migrate``: applied files gone or edited, pending files that sort
    before applied ones. Reads without locking or creating anything."""
    from schemakit.migrate import MigrateOptions, database_for_url, migrate, out_of_order

    config, url = _setup(start, url)
    results = migrate(
        url,
        config,
        services,
        MigrateOptions(timeout=timeout),
        say,
        database=database_for_url(config, url, database),
        status_only=True,
    )
    problems = []
    for result in results:
        late = {s.id for s in out_of_order(result.states)}
        for state in result.states:
            problem = {
                "missing": "applied, but its file is gone (schemakit repair)",
                "edited": "file edited after it was applied (--accept-checksum, or revert)",
            }.get(state.state)
            if state.id in late:
                problem = "pending, but sorts before an applied migration"
            if problem:
                problems.append(Problem(result.service, state.id, state.state, problem))
    return problems
