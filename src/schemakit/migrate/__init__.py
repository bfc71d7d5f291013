"""Migrations: finding them per service, and applying them once, under a lock."""

from schemakit.migrate._alembic import (
    VERSION_TABLE as ALEMBIC_VERSION_TABLE,
)
from schemakit.migrate._alembic import (
    alembic_offline_sql,
    alembic_upgrade,
    generate_revision,
    load_metadata,
    push_models,
)
from schemakit.migrate._locks import LockHolder, lock_holders, terminate
from schemakit.migrate._runner import (
    LEDGER,
    MigrateOptions,
    MigrationState,
    ServiceResult,
    checksum,
    lock_key,
    migrate,
    migrate_all_databases,
    service_status,
    url_for_database,
)
from schemakit.migrate._sources import MigrationFile, MigrationSet, discover, read_sql_file
from schemakit.migrate._target import database_for_url

__all__ = [
    "ALEMBIC_VERSION_TABLE",
    "LEDGER",
    "LockHolder",
    "MigrateOptions",
    "MigrationFile",
    "MigrationSet",
    "MigrationState",
    "ServiceResult",
    "alembic_offline_sql",
    "alembic_upgrade",
    "checksum",
    "database_for_url",
    "discover",
    "generate_revision",
    "load_metadata",
    "lock_holders",
    "lock_key",
    "migrate",
    "migrate_all_databases",
    "push_models",
    "read_sql_file",
    "service_status",
    "terminate",
    "url_for_database",
]
