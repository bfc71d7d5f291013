"""Declarative bases bound to one service's schema, with the guideline's naming convention."""

from __future__ import annotations

import datetime
import enum
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from schemakit.config import Config, load_config
from schemakit.conventions import NAMING_CONVENTION
from schemakit.errors import ConfigError

__all__ = [
    "TYPE_ANNOTATION_MAP",
    "ServiceEnum",
    "exempt_database_base",
    "exempt_metadata",
    "service_base",
    "service_metadata",
    "snake_case",
]


def snake_case(name: str) -> str:
    """``TransactionType`` -> ``transaction_type`` (PostgreSQL type and table names)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_class]


class ServiceEnum(sa.Enum):
    """A native PostgreSQL enum in its table's schema, named in snake_case, stored by value.

    Plain ``sa.Enum`` lands in ``public`` under the lower-cased class name unless told
    otherwise: the origin platform's module-level ``pgEnum`` bug, in SQLAlchemy.
    """

    def __init__(self, *enums: Any, **kw: Any) -> None:
        if enums and isinstance(enums[0], type) and issubclass(enums[0], enum.Enum):
            if enums[0] is not enum.Enum:
                kw.setdefault("name", snake_case(enums[0].__name__))
            kw.setdefault("values_callable", _values)
        super().__init__(*enums, **kw)

    def _resolve_for_python_type(
        self, python_type: Any, matched_on: Any, matched_on_flattened: Any
    ) -> ServiceEnum | None:
        # Mapped[SomeEnum] through the base's type_annotation_map lands here.
        if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
            return ServiceEnum(python_type, schema=self.schema)
        return super()._resolve_for_python_type(python_type, matched_on, matched_on_flattened)  # type: ignore[return-value]

    def _set_table(self, column: Any, table: Any) -> None:
        if self.schema is None and table.schema is not None:
            self.schema = table.schema
        super()._set_table(column, table)  # type: ignore[no-untyped-call]


def _registry(config: Config | None, start: Path | None) -> Config | None:
    if config is not None:
        return config
    found = load_config(start, required=False)
    return found if found.path is not None else None


TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    enum.Enum: ServiceEnum(enum.Enum),
    datetime.datetime: sa.DateTime(timezone=True),
}
"""``type_annotation_map`` for a base: ``Mapped[SomeEnum]`` becomes a native enum named in
snake_case inside the table's schema, and ``Mapped[datetime]`` is ``timestamptz`` (the
guideline's timestamp type; a naive ``timestamp`` is what lint's TYP002 flags)."""


def service_metadata(
    schema: str,
    *,
    service: str | None = None,
    config: Config | None = None,
    config_path: Path | None = None,
) -> sa.MetaData:
    """MetaData for one service's schema, with the guideline's naming convention.

    Use it in a typed base (type checkers need a class statement)::

        class Base(DeclarativeBase):
            metadata = service_metadata("storage", service="storage")
            type_annotation_map = TYPE_ANNOTATION_MAP

    When a schemakit config is found (``config``, or the nearest one at or above
    ``config_path`` or the working directory), ``schema`` must be registered there, and to
    ``service`` when given; otherwise :class:`ConfigError` names both.
    """
    if schema == "public":
        raise ConfigError(
            "a service base cannot use the public schema",
            hint="give the service a schema of its own (see the guideline's 'Schema naming')",
        )
    registry = _registry(config, config_path)
    if registry is not None:
        owners = sorted({s.name for s in registry.services.values() if schema in s.schemas})
        if not owners:
            raise ConfigError(
                f"schema {schema!r} is not registered to any service",
                path=registry.path,
                hint=f"add it to a service's schemas, e.g. [services.{service or schema}] "
                f'schemas = ["{schema}"]',
            )
        if service is not None and service not in owners:
            raise ConfigError(
                f"schema {schema!r} is registered to service {', '.join(owners)}, not {service}",
                path=registry.path,
                hint=f"use a schema of service {service}, or fix the registry",
            )
    return sa.MetaData(schema=schema, naming_convention=dict(NAMING_CONVENTION))


def exempt_metadata(
    database: str, *, config: Config | None = None, config_path: Path | None = None
) -> sa.MetaData:
    """MetaData with no schema: allowed only for a database the config exempts (``mana_sync``).

    Everywhere else use :func:`service_metadata`; this one raises :class:`ConfigError` unless
    ``database`` is listed in ``exempt-databases``.
    """
    registry = _registry(config, config_path)
    if registry is None or not registry.is_exempt(database):
        raise ConfigError(
            f"database {database!r} is not exempt from schema isolation",
            path=registry.path if registry else None,
            hint=f'list it in exempt-databases = ["{database}"], or use service_metadata(schema)',
        )
    return sa.MetaData(naming_convention=dict(NAMING_CONVENTION))


def _base(metadata: sa.MetaData, name: str) -> type[DeclarativeBase]:
    base = type(
        name,
        (DeclarativeBase,),
        {"metadata": metadata, "type_annotation_map": dict(TYPE_ANNOTATION_MAP)},
    )
    return base


def service_base(
    schema: str,
    *,
    service: str | None = None,
    config: Config | None = None,
    config_path: Path | None = None,
) -> type[DeclarativeBase]:
    """A ready ``DeclarativeBase`` on :func:`service_metadata`, for scripts and notebooks.

    Type checkers cannot use a base made at run time; typed code writes the two-line class
    shown in :func:`service_metadata` instead.
    """
    metadata = service_metadata(schema, service=service, config=config, config_path=config_path)
    return _base(metadata, f"{snake_case(schema).title().replace('_', '')}Base")


def exempt_database_base(
    database: str, *, config: Config | None = None, config_path: Path | None = None
) -> type[DeclarativeBase]:
    """A ready base on :func:`exempt_metadata` (only for exempt databases)."""
    metadata = exempt_metadata(database, config=config, config_path=config_path)
    return _base(metadata, f"Exempt{snake_case(database).title().replace('_', '')}Base")
