"""What a run that failed, or was stopped, reports: the error, what each service applied
before it, and the state it left; SIGTERM turned into such a stop."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator, Sequence
from types import FrameType

from schemakit.errors import MigrationError, SchemakitError
from schemakit.migrate._states import ServiceResult

__all__ = ["RunFailed", "Stopped", "stop_on_sigterm"]


class Stopped(KeyboardInterrupt):
    """SIGTERM arrived. A KeyboardInterrupt, so psycopg cancels the statement in progress and
    every ``finally`` (rollback, unlock, close) runs on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within: SIGTERM raises :class:`Stopped` (main thread only; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Stopped(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class RunFailed(MigrationError):
    """A migrate run stopped by an error or a signal, with each service's result so far (the
    failing one last)."""

    def __init__(
        self,
        results: Sequence[ServiceResult],
        cause: SchemakitError | None = None,
        *,
        signum: int | None = None,
        dry_run: bool = False,
    ) -> None:
        self.results = list(results)
        self.cause = cause
        self.signum = signum
        self.exit_code = 128 + signum if signum else 2
        self.failed_databases: list[str] = []
        failing = self.results[-1].service if self.results else None
        if cause is not None:
            head, hint = cause.message, cause.hint
        else:
            name = signal.Signals(signum).name if signum else "a signal"
            head = f"stopped by {name}" + (f" while migrating service {failing}" if failing else "")
            hint = (
                "the migration in progress was rolled back (one outside a transaction keeps "
                "the statements that finished) and the lock released; run migrate again"
            )
        super().__init__(head + "\n  " + self.summary(dry_run), hint=hint)

    @property
    def failed_service(self) -> str | None:
        return self.results[-1].service if self.results else None

    def summary(self, dry_run: bool = False) -> str:
        """What was applied before the failure, per service (and database)."""
        if dry_run:
            return "nothing was changed (--dry-run)"
        done = [r for r in self.results if r.applied]
        if not done:
            return "applied before the failure: nothing"
        parts = [
            (f"{r.database}/" if r.database else "") + f"{r.service}: " + ", ".join(r.applied)
            for r in done
        ]
        return "applied before the failure (committed, they stay): " + "; ".join(parts)
