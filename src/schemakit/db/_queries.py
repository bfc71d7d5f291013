"""Read paths: offset pages with a separate count, keyset pages, and plain rows for exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple, overload

import sqlalchemy as sa
from sqlalchemy.orm import Session as _Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from schemakit.db._cursor import decode_cursor, encode_cursor
from schemakit.models import INCLUDE_DELETED, SOFT_DELETE_CRITERIA

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "KeysetPage",
    "Page",
    "afetch_rows",
    "akeyset_page",
    "apaginate",
    "fetch_rows",
    "keyset_page",
    "paginate",
]

T = TypeVar("T")
T2 = TypeVar("T2")
Ts = TypeVarTuple("Ts")
# Any select at all: SQLAlchemy 2.1's Select is variadic (Select[File], Select[UUID, str]),
# and a bare Select[Any] would accept one-column selects only.
_AnySelect = sa.Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One offset page: the guideline's ``{ items, total }``, plus where it is."""

    items: list[T]
    total: int | None
    """Rows matching the statement's filter, or None when ``with_total=False``."""
    page: int
    limit: int

    @property
    def pages(self) -> int | None:
        """Number of pages, or None without a total."""
        return None if self.total is None else -(-self.total // self.limit)


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One keyset page; pass ``next_cursor`` as ``after`` for the next one (None: last page)."""

    items: list[T]
    next_cursor: str | None


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")


def _is_single(stmt: _AnySelect) -> bool:
    # One entity or one column: return scalars (File objects, or names), as Select[T] says.
    return len(stmt.column_descriptions) == 1


@overload
def paginate(
    session: _Session,
    stmt: sa.Select[T],
    page: int = 1,
    limit: int = 20,
    *,
    with_total: bool = True,
) -> Page[T]: ...
@overload
def paginate(
    session: _Session,
    stmt: sa.Select[T, T2, *Ts],
    page: int = 1,
    limit: int = 20,
    *,
    with_total: bool = True,
) -> Page[sa.Row[T, T2, *Ts]]: ...
def paginate(
    session: _Session,
    stmt: _AnySelect,
    page: int = 1,
    limit: int = 20,
    *,
    with_total: bool = True,
) -> Page[Any]:
    """Page ``page`` (1-based) of ``stmt``, ``limit`` rows, and the filtered total.

    The total is a separate ``SELECT count(*) FROM (stmt without ORDER BY/LIMIT)``: same filter
    (including the session's soft-delete criteria), no ``count(*) OVER ()`` that would make
    PostgreSQL read every matching row for every page. Pass ``with_total=False`` to skip it.
    Give ``stmt`` a total order (end with the primary key) or rows can repeat across pages.
    Deep offsets read and discard ``(page - 1) * limit`` rows; use :func:`keyset_page` there.
    """
    if page < 1:
        raise ValueError(f"page must be at least 1, not {page}")
    _check_limit(limit)
    paged = stmt.limit(limit).offset((page - 1) * limit)
    result = session.execute(paged)
    items: list[Any] = list(result.scalars().all() if _is_single(stmt) else result.all())
    total: int | None = None
    if with_total:
        # Page 1 that is not full already knows its total: skip the second round trip.
        if page == 1 and len(items) < limit:
            total = len(items)
        else:
            inner = stmt.order_by(None).limit(None).offset(None).subquery()
            # The statement's options (include_deleted, ...) must reach the count too.
            count = sa.select(sa.func.count()).select_from(inner)
            count = count.execution_options(**stmt.get_execution_options())
            total = int(session.execute(count).scalar_one())
    return Page(items=items, total=total, page=page, limit=limit)


@overload
async def apaginate(
    session: AsyncSession,
    stmt: sa.Select[T],
    page: int = 1,
    limit: int = 20,
    *,
    with_total: bool = True,
) -> Page[T]: ...
@overload
async def apaginate(
    session: AsyncSession,
    stmt: sa.Select[T, T2, *Ts],
    page: int = 1,
    limit: int = 20,
    *,
    with_total: bool = True,
) -> Page[sa.Row[T, T2, *Ts]]: ...
async def apaginate(
    session: AsyncSession,
    stmt: _AnySelect,
    page: int = 1,
    limit: int = 20,
    *,
    with_total: bool = True,
) -> Page[Any]:
    """:func:`paginate` on an ``AsyncSession``."""
    return await session.run_sync(_paginate_any, stmt, page, limit, with_total)


def _paginate_any(
    session: _Session, stmt: _AnySelect, page: int, limit: int, with_total: bool
) -> Page[Any]:
    return paginate(session, stmt, page, limit, with_total=with_total)


@dataclass(frozen=True)
class _Key:
    column: ColumnElement[Any]
    descending: bool
    name: str
    nullable: bool
    """Can hold NULL: a nullable column, or an expression we cannot tell about."""

    def ordered(self) -> ColumnElement[Any]:
        # PostgreSQL's defaults (NULLS LAST ascending, NULLS FIRST descending), spelled out so
        # the ORDER BY and the WHERE below agree; a plain btree index still serves them.
        if self.descending:
            return self.column.desc().nulls_first() if self.nullable else self.column.desc()
        return self.column.asc().nulls_last() if self.nullable else self.column.asc()


def _keys(order_by: Sequence[Any]) -> list[_Key]:
    if not order_by:
        raise ValueError("keyset pagination needs at least one order_by column")
    keys = []
    for item in order_by:
        expr = item.__clause_element__() if hasattr(item, "__clause_element__") else item
        descending = False
        if isinstance(expr, UnaryExpression) and expr.modifier in (
            operators.desc_op,
            operators.asc_op,
        ):
            descending = expr.modifier is operators.desc_op
            expr = expr.element
        if not isinstance(expr, ColumnElement):
            raise ValueError(f"order_by entries must be columns or col.desc(), not {item!r}")
        name = getattr(expr, "key", None) or str(expr)
        nullable = bool(expr.nullable) if isinstance(expr, sa.Column) else True
        keys.append(_Key(expr, descending, f"{name}:{'d' if descending else 'a'}", nullable))
    return keys


def _after(keys: list[_Key], values: list[Any]) -> ColumnElement[bool]:
    binds = [sa.bindparam(None, v, type_=k.column.type) for k, v in zip(keys, values, strict=True)]
    if len({k.descending for k in keys}) == 1 and not any(k.nullable for k in keys):
        # One direction, no NULLs: a row comparison, which a btree index on the key columns
        # serves.
        left, right = sa.tuple_(*(k.column for k in keys)), sa.tuple_(*binds)
        return left < right if keys[0].descending else left > right
    # Mixed directions or NULLs: (a > x) OR (a = x AND b < y) OR ..., where "=" and ">" know
    # where NULL sorts (a comparison with NULL is never true, which would end the walk early).
    ors = []
    for i, key in enumerate(keys):
        ands = [_same(keys[j], values[j], binds[j]) for j in range(i)]
        ands.append(_beyond(key, values[i], binds[i]))
        ors.append(sa.and_(*ands))
    return sa.or_(*ors)


def _same(key: _Key, value: Any, bind: Any) -> ColumnElement[bool]:
    return key.column.is_(None) if value is None else key.column == bind


def _beyond(key: _Key, value: Any, bind: Any) -> ColumnElement[bool]:
    """The rows that sort strictly after ``value`` in ``key``'s column."""
    if key.descending:  # NULLS FIRST, then high to low
        return key.column.is_not(None) if value is None else key.column < bind
    if value is None:  # ascending NULLS LAST: nothing sorts after NULL
        return sa.false()
    beyond = key.column > bind
    return sa.or_(beyond, key.column.is_(None)) if key.nullable else beyond


@overload
def keyset_page(
    session: _Session,
    stmt: sa.Select[T],
    order_by: Sequence[Any],
    after: str | None = None,
    limit: int = 20,
) -> KeysetPage[T]: ...
@overload
def keyset_page(
    session: _Session,
    stmt: sa.Select[T, T2, *Ts],
    order_by: Sequence[Any],
    after: str | None = None,
    limit: int = 20,
) -> KeysetPage[tuple[T, T2, *Ts]]: ...
def keyset_page(
    session: _Session,
    stmt: _AnySelect,
    order_by: Sequence[Any],
    after: str | None = None,
    limit: int = 20,
) -> KeysetPage[Any]:
    """The ``limit`` rows of ``stmt`` that follow cursor ``after`` in ``order_by`` order.

    ``order_by`` replaces the statement's ORDER BY; it must be a unique key (end it with the
    primary key), e.g. ``(File.created_at.desc(), File.id.desc())``. Nullable columns (and
    expressions) sort as PostgreSQL sorts them, NULLS LAST ascending and NULLS FIRST
    descending, and the walk goes through their NULLs; NOT NULL columns in one direction get a
    row comparison ``(a, b) > (:a, :b)`` that an index on them serves best. Every page costs
    the same however deep it is: ``WHERE (key) > (:last)`` walks the index instead of skipping
    rows. A cursor that does not decode, or was made for another ``order_by``, raises
    :class:`CursorError`.
    """
    _check_limit(limit)
    keys = _keys(order_by)
    names = [k.name for k in keys]
    single = _is_single(stmt)
    width = len(stmt.column_descriptions)
    query = stmt.order_by(None).order_by(*(k.ordered() for k in keys))
    if after is not None:
        query = query.where(_after(keys, decode_cursor(after, names)))
    # The key values ride along as extra columns, so any entity or column select works.
    query = query.add_columns(*(k.column for k in keys)).limit(limit + 1)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items: list[Any] = [row[0] if single else tuple(row[:width]) for row in rows]
    cursor = encode_cursor(list(rows[-1][width:]), names) if more and rows else None
    return KeysetPage(items=items, next_cursor=cursor)


@overload
async def akeyset_page(
    session: AsyncSession,
    stmt: sa.Select[T],
    order_by: Sequence[Any],
    after: str | None = None,
    limit: int = 20,
) -> KeysetPage[T]: ...
@overload
async def akeyset_page(
    session: AsyncSession,
    stmt: sa.Select[T, T2, *Ts],
    order_by: Sequence[Any],
    after: str | None = None,
    limit: int = 20,
) -> KeysetPage[tuple[T, T2, *Ts]]: ...
async def akeyset_page(
    session: AsyncSession,
    stmt: _AnySelect,
    order_by: Sequence[Any],
    after: str | None = None,
    limit: int = 20,
) -> KeysetPage[Any]:
    """:func:`keyset_page` on an ``AsyncSession``."""
    return await session.run_sync(_keyset_any, stmt, order_by, after, limit)


def _keyset_any(
    session: _Session, stmt: _AnySelect, order_by: Sequence[Any], after: str | None, limit: int
) -> KeysetPage[Any]:
    return keyset_page(session, stmt, order_by, after, limit)


async def afetch_rows(
    session: AsyncSession, stmt: _AnySelect
) -> Sequence[sa.Row[*tuple[Any, ...]]]:
    """:func:`fetch_rows` on an ``AsyncSession``."""
    return await session.run_sync(fetch_rows, stmt)


def fetch_rows(session: _Session, stmt: _AnySelect) -> Sequence[sa.Row[*tuple[Any, ...]]]:
    """The rows of ``stmt`` as plain named tuples, for lists and exports: no ORM objects.

    Entities in the select list are expanded into their mapped columns, so ``select(File)``
    yields rows with ``.id``, ``.name``... The statement runs on the session's connection
    (same transaction, after an autoflush) through Core, so no object is built and nothing
    enters the identity map: a 10,000-row export costs what SQLAlchemy Core costs. Core
    execution skips the session's ``do_orm_execute`` hook, so the soft-delete criteria are
    attached here, with the same opt-out (``include_deleted``).
    """
    columns: list[Any] = []
    for desc in stmt.column_descriptions:
        expr, entity = desc["expr"], desc["entity"]
        if (entity is not None and expr is entity) or isinstance(expr, sa.orm.util.AliasedClass):
            mapper = sa.inspect(expr).mapper
            columns.extend(getattr(expr, attr.key) for attr in mapper.column_attrs)
        else:
            columns.append(expr)
    query = stmt.with_only_columns(*columns, maintain_column_froms=True)
    if not stmt.get_execution_options().get(INCLUDE_DELETED, False):
        query = query.options(SOFT_DELETE_CRITERIA)
    if session.autoflush:
        session.flush()
    return session.connection().execute(query).all()
