"""Find a service's migrations: drizzle-kit folders (meta/_journal.json) and plain SQL folders."""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from collections.abc import MutableSequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from schemakit.config import Service
from schemakit.errors import ConfigError, MigrationError, not_utf8

if TYPE_CHECKING:
    from schemakit.sql import SqlSyntaxError, Statement

__all__ = [
    "MigrationFile",
    "MigrationSet",
    "checksum",
    "discover",
    "migration_id",
    "read_sql_file",
]

JOURNAL = Path("meta") / "_journal.json"
_DATE_PREFIX = re.compile(r"^(\d{8}(?:\d{4}(?:\d{2})?)?)(?!\d)")
"""A date a migration's file name starts with: 20261101_x, 202611011230_x, 20261101123000_x."""


_NO_TRANSACTION = re.compile(r"^[ \t]*--[ \t]*schemakit:[ \t]*no-transaction[ \t]*$", re.MULTILINE)
"""The comment line that marks a file non-transactional: run statement by statement."""


def migration_id(name: str) -> str:
    """A migration's identity from its file name (without .sql): NFC-normalized, so a name
    re-encoded by a file system or an archive (NFD on macOS) is still the same migration."""
    return unicodedata.normalize("NFC", name)


def checksum(text: str) -> str:
    """sha256 hex of the whole file text: drizzle-orm's ``hash``, so both tools agree."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class MigrationFile:
    """One migration file, read eagerly so a bad encoding fails before anything runs."""

    service: str
    id: str
    path: Path
    text: str
    when: int | None = None
    """drizzle-kit's journal timestamp (milliseconds), for drizzle folders."""

    @cached_property
    def checksum(self) -> str:
        """:func:`checksum` of the text, worked out once per run."""
        return checksum(self.text)

    @property
    def date(self) -> datetime | None:
        """When the migration was written: drizzle-kit's journal timestamp, else a date the
        file name starts with (``20261101_...``, ``202611011230_...``), else None."""
        if self.when is not None:
            return datetime.fromtimestamp(self.when / 1000, tz=UTC)
        stamp = _DATE_PREFIX.match(self.id)
        if stamp is None:
            return None
        digits = stamp[1]
        try:
            parsed = datetime.strptime(digits[:12].ljust(12, "0"), "%Y%m%d%H%M")
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if 2000 <= parsed.year <= 2100 else None

    @property
    def transactional(self) -> bool:
        """False when the file says ``-- schemakit: no-transaction`` on a line of its own."""
        return "no-transaction" not in self.text or not _NO_TRANSACTION.search(self.text)

    @cached_property
    def scanned(self) -> tuple[MutableSequence[Statement], list[SqlSyntaxError]]:
        """Every statement that parses, and each syntax error at its line (for the linter)."""
        # imported here: a no-op migrate parses nothing, and the lock model is 10% of its time
        from schemakit.sql import scan_statements

        return scan_statements(self.text, self.path)

    @property
    def statements(self) -> MutableSequence[Statement]:
        """The statements; the first syntax error raises (for the runner and the replay)."""
        statements, errors = self.scanned
        if errors:
            raise min(errors, key=lambda e: e.line or 0)
        return statements


@dataclass(frozen=True)
class MigrationSet:
    service: str
    kind: str
    """``sql`` (files ordered by name), ``drizzle`` (ordered by meta/_journal.json) or
    ``alembic`` (revisions base to head; Python, so they have no SQL statements)."""

    @property
    def is_sql(self) -> bool:
        return self.kind != "alembic"

    folder: Path
    files: tuple[MigrationFile, ...]


def _read(path: Path) -> str:
    return _read_hashed(path)[0]


def _read_hashed(path: Path) -> tuple[str, str]:
    """The text of ``path`` and :func:`checksum` of it, from the bytes as read (a big file's
    text is not encoded a second time to hash it)."""
    try:
        # Bytes, not read_text: universal newlines would turn CRLF into LF and the checksum
        # would no longer be drizzle-orm's sha256 of the file as it is.
        with open(path, "rb") as handle:
            data = handle.read()
        return data.decode("utf-8"), hashlib.sha256(data).hexdigest()
    except UnicodeDecodeError as exc:
        raise MigrationError(not_utf8(data, exc), path=path, hint="save the file as UTF-8") from exc
    except OSError as exc:
        raise MigrationError(
            f"cannot read: {exc.strerror}", path=path, hint="check the file exists and is readable"
        ) from exc


def read_sql_file(path: Path, service: str = "") -> MigrationFile:
    """One SQL file, as a migration of ``service`` (not UTF-8 or unreadable: MigrationError)."""
    text, digest = _read_hashed(path)
    name = path.name
    file = MigrationFile(service, migration_id(name[: name.rfind(".")] or name), path, text)
    file.__dict__["checksum"] = digest  # the cached_property, worked out already
    return file


def discover(service: Service, config_path: Path | None = None) -> MigrationSet | None:
    """The migrations of ``service``, or None when it names no migrations folder.

    A service with several folders (drizzle-kit's one per schema) gets one set: each
    folder's files in turn, in the order the config lists the folders, each id prefixed with
    the folder's path below their common parent (``auth/0000_init``) so that two folders'
    ``0000_init`` stay two ledger rows."""
    if service.more_migrations:
        return _several(service, config_path)
    folder = service.migrations
    if folder is None:
        return None
    return _folder(service, folder, config_path)


def _several(service: Service, config_path: Path | None) -> MigrationSet:
    import os

    folders = service.migration_folders
    common = Path(os.path.commonpath(folders))
    sets = [_folder(service, folder, config_path) for folder in folders]
    for found in sets:
        if not found.is_sql:
            raise ConfigError(
                f"{found.folder} is an Alembic folder, listed with other migrations folders",
                path=config_path,
                key=f"services.{service.name}.migrations",
                hint="an Alembic service has one folder: its script_location",
            )
    files = tuple(
        replace(file, id=f"{found.folder.relative_to(common).as_posix()}/{file.id}")
        for found in sets
        for file in found.files
    )
    kind = "drizzle" if all(found.kind == "drizzle" for found in sets) else "sql"
    return MigrationSet(service.name, kind, folders[0], files)


def _folder(service: Service, folder: Path, config_path: Path | None) -> MigrationSet:
    if not folder.is_dir():
        raise ConfigError(
            f"migrations folder {folder} does not exist",
            path=config_path,
            key=f"services.{service.name}.migrations",
            hint="create it, or fix the path (relative to the config file)",
        )
    if (folder / JOURNAL).is_file():
        return _drizzle(service, folder)
    if (folder / "versions").is_dir():
        from schemakit.migrate._alembic import alembic_revisions

        files = tuple(
            MigrationFile(service.name, revision, path, _read(path))
            for revision, path in alembic_revisions(folder)
        )
        return MigrationSet(service.name, "alembic", folder, files)
    files = tuple(read_sql_file(folder / name, service.name) for name in _sql_names(folder))
    if not files:
        _nothing_here(service, folder, config_path)
    return MigrationSet(service.name, "sql", folder, files)


def _sql_names(folder: Path) -> list[str]:
    """The ``*.sql`` file names of ``folder`` (not below it) in migration order (NFC names):
    os.scandir, not Path.glob, which costs a tenth of a no-op migrate over 1,000 files."""
    with os.scandir(folder) as entries:
        names = [e.name for e in entries if e.name.endswith(".sql")]
    return sorted(names, key=migration_id)


def _nothing_here(service: Service, folder: Path, config_path: Path | None) -> None:
    """A folder with no migrations of its own but migrations below it (drizzle-kit's one
    folder per schema, ``drizzle/<schema>/``) is a mistake to say, not an empty history; an
    empty folder is a new service's."""
    nested = sorted(
        {
            p.parent.parent if p.name == "_journal.json" else p.parent
            for p in folder.rglob("*")
            if p.suffix == ".sql" or (p.name == "_journal.json" and p.parent.name == "meta")
        }
    )
    if nested:
        shown = ", ".join(str(p.relative_to(folder)) for p in nested[:5])
        raise ConfigError(
            f"migrations folder {folder} has no .sql files, drizzle-kit journal "
            f"(meta/_journal.json) or Alembic versions/ of its own, but its subfolders hold "
            f"migrations: {shown}",
            path=config_path,
            key=f"services.{service.name}.migrations",
            hint='list them: migrations = ["<folder>/<schema>", ...] (one folder per '
            "schema, as drizzle-kit writes them)",
        )


def _drizzle(service: Service, folder: Path) -> MigrationSet:
    journal_path = folder / JOURNAL
    try:
        journal = json.loads(_read(journal_path))
    except json.JSONDecodeError as exc:
        raise MigrationError(
            f"not valid JSON: {exc.msg}", path=journal_path, line=exc.lineno
        ) from exc
    entries = journal.get("entries") if isinstance(journal, dict) else None
    if not isinstance(entries, list):
        raise MigrationError(
            "has no 'entries' list",
            path=journal_path,
            hint="regenerate it with drizzle-kit generate",
        )
    files = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("tag"), str):
            raise MigrationError(
                f"entry {position} has no 'tag'",
                path=journal_path,
                hint="each entry needs tag and when, as drizzle-kit writes them",
            )
        tag = entry["tag"]
        path = folder / f"{tag}.sql"
        if not path.is_file():
            raise MigrationError(
                f"entry {position} names {tag}.sql, which does not exist",
                path=journal_path,
                hint="restore the file or remove the entry",
            )
        when = entry.get("when")
        files.append(
            MigrationFile(
                service.name,
                migration_id(tag),
                path,
                _read(path),
                when if isinstance(when, int) else None,
            )
        )
    return MigrationSet(service.name, "drizzle", folder, tuple(files))
