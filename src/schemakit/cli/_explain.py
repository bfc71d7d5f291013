"""``schemakit explain-locks``: a thin wrapper over :func:`schemakit.lint.explain_file`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from schemakit.cli._shared import EXIT_CLEAN, EXIT_FINDINGS, say

__all__ = ["register"]


def register(cli: click.Group) -> None:
    @cli.command("explain-locks")
    @click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
    @click.option(
        "--verify",
        is_flag=True,
        help="Replay the file into a throwaway PostgreSQL and check each prediction against "
        "pg_locks.",
    )
    @click.option(
        "--database-url",
        metavar="URL",
        help="Replay into this scratch database instead (the statements are COMMITTED there; "
        "$DATABASE_URL is deliberately not read).",
    )
    @click.option(
        "--setup",
        "setup",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="PATH",
        help="SQL file, or migrations folder (applied up to FILE when FILE is in it), to "
        "apply first and not report; also tells the prediction about earlier tables, "
        "foreign keys and column types. Repeatable.",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output format.",
    )
    def explain_locks_command(
        file: Path,
        verify: bool,
        database_url: str | None,
        setup: tuple[Path, ...],
        fmt: str,
    ) -> int:
        """List the lock each statement of a SQL migration FILE takes, on which object, and
        whether it rewrites or fully scans the table.

        \b
        The prediction is static, read from each statement's parse tree after PostgreSQL
        15's documentation: lock modes as pg_locks names them (AccessShareLock ...
        AccessExclusiveLock), on the objects the statement names. It does not see a table's
        indexes, partitions or the tables behind a function, a trigger or a view the file
        did not create; unknown statements say "unknown".

        \b
        With --verify (a throwaway PostgreSQL, as 'schemakit lint' starts) or --database-url
        (a scratch database), the file is replayed statement by statement, each in its own
        transaction, and checked while it holds its locks:
          - the lock modes, against pg_locks (relation locks of existing relations; locks on
            catalogs, on objects the statement creates, and on a table's own indexes,
            sequences and partitions are not compared; type locks are not read);
          - rewrites, by a new relfilenode after the commit;
          - scans, by the transaction's own sequential-scan counters.
        Statements that cannot run in a transaction (CONCURRENTLY, VACUUM) run but are
        not verified. A statement that fails stops the run (exit 2); pass --setup with
        the migrations that come before FILE.

        Exit 0 when every checked statement agrees (or nothing was replayed), 1 when a
        prediction disagrees with PostgreSQL, 2 on errors.
        """
        from schemakit import commands
        from schemakit.lint import write_json, write_text

        report = commands.explain_locks(
            file,
            verify=verify,
            database_url=database_url or None,
            setup=setup,
            progress=say if sys.stderr.isatty() else None,
        )
        if fmt == "json":
            write_json(report, sys.stdout)
        else:
            write_text(report, sys.stdout)
        return EXIT_FINDINGS if report.disagreements else EXIT_CLEAN
