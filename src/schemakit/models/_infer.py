"""Row and insert types for each model: the guideline's ``$inferSelect`` / ``$inferInsert``.

Python type checkers cannot derive a TypedDict from a class, so the pair is generated as
source (``schemakit infer-types``) and checked in next to the models; a test can compare the
checked-in file with a fresh render to catch drift.
"""

from __future__ import annotations

import datetime
import decimal
import types
import typing
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

__all__ = ["models_in", "render_types"]

_IMPORTS = {
    datetime.datetime: "datetime",
    datetime.date: "datetime",
    datetime.time: "datetime",
    datetime.timedelta: "datetime",
    decimal.Decimal: "decimal",
    uuid.UUID: "uuid",
}


def _python_type(column: sa.Column[Any], imports: set[str], hint: Any = None) -> str:
    try:
        python = column.type.python_type
    except NotImplementedError:
        return "Any"
    if python in (dict, list, object) and hint is not None:
        # JSONB and arrays: the column type says only dict or list; the model's Mapped[...]
        # says what is in it (list[str], dict[str, Any]).
        rendered = _render_hint(hint, imports)
        if rendered is not None:
            return rendered
    if python is object:
        return "Any"
    if python in (dict, list):
        return f"{python.__name__}[Any, Any]" if python is dict else "list[Any]"
    return _render_class(python, imports)


def _render_class(python: type, imports: set[str]) -> str:
    module = _IMPORTS.get(python)
    if module:
        imports.add(module)
        return f"{module}.{python.__name__}"
    if python.__module__ == "builtins":
        return python.__name__
    imports.add(python.__module__)
    return f"{python.__module__}.{python.__qualname__}"


def _render_hint(hint: Any, imports: set[str]) -> str | None:
    """Source for a type hint, without ``None`` (nullability comes from the column); None for
    what it cannot spell."""
    if hint is Any:
        return "Any"
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [_render_hint(a, imports) for a in args if a is not type(None)]
        if not parts or None in parts:
            return None
        return " | ".join(p for p in parts if p is not None)
    if origin in (list, dict, set, frozenset, tuple):
        inner = [_render_hint(a, imports) if a is not type(None) else "None" for a in args]
        if None in inner:
            return None
        return f"{origin.__name__}[{', '.join(i for i in inner if i is not None)}]"
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return _render_class(hint, imports)
    return None


def _mapped_hints(model: type[DeclarativeBase]) -> dict[str, Any]:
    """What each attribute's ``Mapped[...]`` holds; {} when the annotations do not resolve."""
    try:
        hints = typing.get_type_hints(model)
    except Exception:  # a forward reference that does not resolve: fall back to column types
        return {}
    out = {}
    for key, hint in hints.items():
        args = typing.get_args(hint)
        if args and getattr(typing.get_origin(hint), "__name__", "") == "Mapped":
            out[key] = args[0]
    return out


def _insert_optional(column: sa.Column[Any]) -> bool:
    return bool(
        column.nullable
        or column.default is not None
        or column.server_default is not None
        or (column.primary_key and column.autoincrement is True)
        or column.identity is not None
        or column.computed is not None
    )


def render_types(models: Iterable[type[DeclarativeBase]], *, module_doc: str = "") -> str:
    """Python source with ``{Model}Row`` (every column) and ``New{Model}`` (what an insert needs:
    required keys for NOT NULL columns without a default, optional keys for the rest)."""
    imports: set[str] = set()
    blocks: list[str] = []
    for model in sorted(models, key=lambda m: m.__name__):
        table = model.__table__
        assert isinstance(table, sa.Table)
        row_fields: list[str] = []
        required: list[str] = []
        optional: list[str] = []
        hints = _mapped_hints(model)
        mapper = sa.inspect(model)
        for column in table.columns:
            try:
                hint = hints.get(mapper.get_property_by_column(column).key)
            except sa.orm.exc.UnmappedColumnError:
                hint = None
            annotation = _python_type(column, imports, hint)
            if column.nullable:
                annotation += " | None"
            key = column.key
            row_fields.append(f"    {key}: {annotation}")
            (optional if _insert_optional(column) else required).append(f"    {key}: {annotation}")
        name = model.__name__
        blocks.append(
            f"class {name}Row(TypedDict):\n"
            f'    """A row of {table.fullname} ($inferSelect)."""\n\n' + "\n".join(row_fields)
        )
        insert_fields = required + [
            f"    {line.split(':', 1)[0].strip()}: NotRequired[{line.split(':', 1)[1].strip()}]"
            for line in optional
        ]
        blocks.append(
            f"class New{name}(TypedDict):\n"
            f'    """What inserting into {table.fullname} takes ($inferInsert)."""\n\n'
            + "\n".join(insert_fields)
        )
    body = "\n\n\n".join(blocks)
    typing_names = ["TypedDict"]
    if "Any" in body:
        typing_names.append("Any")
    if "NotRequired[" in body:
        typing_names.append("NotRequired")
    header = (
        f'"""{module_doc or "Row and insert types of the models (generated by schemakit)."}"""\n\n'
    )
    # No "from __future__ import annotations": TypedDict reads NotRequired[...] at runtime.
    header += "".join(f"import {module}\n" for module in sorted(imports))
    header += f"from typing import {', '.join(sorted(typing_names))}\n\n"
    return header + "\n" + body + "\n"


def models_in(module_name: str) -> list[type[DeclarativeBase]]:
    """Every mapped class defined in ``module_name`` (imported), or, for a package, in its
    submodules and named in it."""
    import importlib

    module = importlib.import_module(module_name)
    found = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, DeclarativeBase)
            and "__table__" in vars(value)
            and (value.__module__ == module.__name__ or _inside(value.__module__, module))
        ):
            found.append(value)
    return found


def _inside(defined_in: str, module: Any) -> bool:
    # A package that re-exports its own submodules' models (storage.db.schema importing
    # from storage.db.schema.files) counts them as its own; imports from elsewhere do not.
    return hasattr(module, "__path__") and defined_in.startswith(module.__name__ + ".")
