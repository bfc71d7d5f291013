"""Migrations: finding them per service (drizzle-kit and plain SQL folders)."""

from schemakit.migrate._sources import MigrationFile, MigrationSet, discover

__all__ = ["MigrationFile", "MigrationSet", "discover"]
