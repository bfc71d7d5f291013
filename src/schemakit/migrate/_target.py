"""Which configured database a URL points at."""

from __future__ import annotations

import psycopg

from schemakit.config import Config
from schemakit.errors import DatabaseError, SchemakitError, redact

__all__ = ["database_for_url"]


def database_for_url(config: Config, url: str, database: str | None = None) -> str:
    """The configured database ``url`` is: ``database`` when given, else matched by name.

    A config with a single database takes any URL (its name often differs per environment).
    """
    if database:
        if config.services and database not in config.known_databases:
            raise SchemakitError(
                f"--database {database} is not a database of any service in {config.path}",
                hint="known databases: " + ", ".join(config.known_databases),
            )
        return database
    from psycopg.conninfo import conninfo_to_dict

    try:
        name = str(conninfo_to_dict(url).get("dbname") or "")
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(
            f"invalid database URL {redact(url)}: {redact(str(exc).strip())}",
            hint="percent-encode special characters in the password (space is %20)",
        ) from exc
    if not config.services:
        return name or config.default_database
    if name in config.known_databases:
        return name
    if len(config.known_databases) == 1:
        return config.known_databases[0]
    raise SchemakitError(
        f"the URL's database '{name}' matches none of the configured databases "
        + ", ".join(config.known_databases),
        hint="say which one it is with --database NAME",
    )
