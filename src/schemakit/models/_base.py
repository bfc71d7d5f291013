"""Declarative bases bound to one service's schema, with the guideline's naming convention."""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from schemakit.config import Config, load_config
from schemakit.conventions import NAMING_CONVENTION
from schemakit.errors import ConfigError

__all__ = ["exempt_database_base", "service_base", "snake_case"]


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


def service_base(
    schema: str,
    *,
    service: str | None = None,
    config: Config | None = None,
    config_path: Path | None = None,
) -> type[DeclarativeBase]:
    """A ``DeclarativeBase`` whose tables, indexes, sequences and enums land in ``schema``.

    Its MetaData carries the guideline's naming convention (``idx_{table}_{cols}`` and
    PostgreSQL-style constraint names). When a schemakit config is found (``config``, or the
    nearest one at or above ``config_path`` or the working directory), ``schema`` must be
    registered there, and to ``service`` when given; otherwise :class:`ConfigError` names both.
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

    class Base(DeclarativeBase):
        metadata = sa.MetaData(schema=schema, naming_convention=dict(NAMING_CONVENTION))
        type_annotation_map = {enum.Enum: ServiceEnum(enum.Enum, schema=schema)}  # noqa: RUF012

    Base.__name__ = f"{snake_case(schema).title().replace('_', '')}Base"
    Base.__qualname__ = Base.__name__
    return Base


def exempt_database_base(
    database: str, *, config: Config | None = None, config_path: Path | None = None
) -> type[DeclarativeBase]:
    """A base with no schema: allowed only for a database the config exempts (``mana_sync``).

    Everywhere else use :func:`service_base`; this one raises :class:`ConfigError` unless
    ``database`` is listed in ``exempt-databases``.
    """
    registry = _registry(config, config_path)
    if registry is None or not registry.is_exempt(database):
        raise ConfigError(
            f"database {database!r} is not exempt from schema isolation",
            path=registry.path if registry else None,
            hint=f'list it in exempt-databases = ["{database}"], or use service_base(schema)',
        )

    class Base(DeclarativeBase):
        metadata = sa.MetaData(naming_convention=dict(NAMING_CONVENTION))
        type_annotation_map = {enum.Enum: ServiceEnum(enum.Enum)}  # noqa: RUF012

    Base.__name__ = f"Exempt{snake_case(database).title().replace('_', '')}Base"
    Base.__qualname__ = Base.__name__
    return Base
