"""Migrations: finding them per service, and applying them once, under a lock."""

from typing import TYPE_CHECKING

from schemakit._lazy import lazy_getattr

if TYPE_CHECKING:
    from schemakit.migrate._adopt import Action, Baseline, baseline, repair
    from schemakit.migrate._advisory import LockHolder, lock_holders, lock_key, terminate
    from schemakit.migrate._alembic import VERSION_TABLE as ALEMBIC_VERSION_TABLE
    from schemakit.migrate._alembic import (
        alembic_offline_sql,
        alembic_upgrade,
        generate_revision,
        load_metadata,
        push_models,
    )
    from schemakit.migrate._failure import RunFailed
    from schemakit.migrate._ledger import LEDGER
    from schemakit.migrate._options import MigrateOptions
    from schemakit.migrate._runner import (
        migrate,
        migrate_all_databases,
        service_status,
        url_for_database,
    )
    from schemakit.migrate._sources import (
        MigrationFile,
        MigrationSet,
        checksum,
        discover,
        read_sql_file,
    )
    from schemakit.migrate._states import MigrationState, ServiceResult, out_of_order
    from schemakit.migrate._target import database_for_url

# Loaded on first use: linting SQL files reads them through this package and must not pay
# for psycopg, SQLAlchemy and Alembic at start-up.
_LAZY = {
    "RunFailed": ("schemakit.migrate._failure", "RunFailed"),
    "Action": ("schemakit.migrate._adopt", "Action"),
    "Baseline": ("schemakit.migrate._adopt", "Baseline"),
    "baseline": ("schemakit.migrate._adopt", "baseline"),
    "repair": ("schemakit.migrate._adopt", "repair"),
    "out_of_order": ("schemakit.migrate._states", "out_of_order"),
    "ALEMBIC_VERSION_TABLE": ("schemakit.migrate._alembic", "VERSION_TABLE"),
    "LEDGER": ("schemakit.migrate._ledger", "LEDGER"),
    "LockHolder": ("schemakit.migrate._advisory", "LockHolder"),
    "MigrateOptions": ("schemakit.migrate._options", "MigrateOptions"),
    "MigrationFile": ("schemakit.migrate._sources", "MigrationFile"),
    "MigrationSet": ("schemakit.migrate._sources", "MigrationSet"),
    "MigrationState": ("schemakit.migrate._states", "MigrationState"),
    "ServiceResult": ("schemakit.migrate._states", "ServiceResult"),
    "alembic_offline_sql": ("schemakit.migrate._alembic", "alembic_offline_sql"),
    "alembic_upgrade": ("schemakit.migrate._alembic", "alembic_upgrade"),
    "checksum": ("schemakit.migrate._sources", "checksum"),
    "database_for_url": ("schemakit.migrate._target", "database_for_url"),
    "discover": ("schemakit.migrate._sources", "discover"),
    "generate_revision": ("schemakit.migrate._alembic", "generate_revision"),
    "load_metadata": ("schemakit.migrate._alembic", "load_metadata"),
    "lock_holders": ("schemakit.migrate._advisory", "lock_holders"),
    "lock_key": ("schemakit.migrate._advisory", "lock_key"),
    "migrate": ("schemakit.migrate._runner", "migrate"),
    "migrate_all_databases": ("schemakit.migrate._runner", "migrate_all_databases"),
    "push_models": ("schemakit.migrate._alembic", "push_models"),
    "read_sql_file": ("schemakit.migrate._sources", "read_sql_file"),
    "service_status": ("schemakit.migrate._runner", "service_status"),
    "terminate": ("schemakit.migrate._advisory", "terminate"),
    "url_for_database": ("schemakit.migrate._runner", "url_for_database"),
}


__getattr__ = lazy_getattr(__name__, globals(), _LAZY)


__all__ = [
    "ALEMBIC_VERSION_TABLE",
    "LEDGER",
    "Action",
    "Baseline",
    "LockHolder",
    "MigrateOptions",
    "MigrationFile",
    "MigrationSet",
    "MigrationState",
    "RunFailed",
    "ServiceResult",
    "alembic_offline_sql",
    "alembic_upgrade",
    "baseline",
    "checksum",
    "database_for_url",
    "discover",
    "generate_revision",
    "load_metadata",
    "lock_holders",
    "lock_key",
    "migrate",
    "migrate_all_databases",
    "out_of_order",
    "push_models",
    "read_sql_file",
    "repair",
    "service_status",
    "terminate",
    "url_for_database",
]
