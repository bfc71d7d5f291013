"""Reading the parse tree for the lock model: dropped names, ALTER TABLE subcommands, the
relations a query reads, what makes a default volatile."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from schemakit.sql._lock_model._modes import ACCESS_SHARE, ROW_SHARE, Effects
from schemakit.sql._tree import names, qualified, relation

__all__ = [
    "OBJECT_KINDS",
    "behind_view",
    "commands",
    "drop_names",
    "is_not_null_test",
    "reads",
    "volatile_call",
    "walk",
]

OBJECT_KINDS = {
    "OBJECT_TABLE": "table",
    "OBJECT_INDEX": "index",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "materialized view",
    "OBJECT_FOREIGN_TABLE": "foreign table",
    "OBJECT_TYPE": "type",
    "OBJECT_DOMAIN": "type",
}

# Functions a DEFAULT may call without making it volatile (stable or immutable built-ins);
# any other function is taken as volatile, as PostgreSQL takes a function declared without
# a volatility.
_NON_VOLATILE = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "lower",
        "upper",
        "btrim",
        "trim",
        "concat",
        "length",
        "to_jsonb",
        "to_json",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "json_build_array",
        "array_fill",
        "make_interval",
        "make_date",
        "make_timestamp",
        "make_timestamptz",
        "to_timestamp",
        "date_trunc",
        "timezone",
        "abs",
        "round",
        "md5",
    }
)
_VOLATILE = frozenset(
    {
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "setval",
        "gen_random_bytes",
    }
)


def drop_names(node: dict[str, Any]) -> list[str]:
    out = []
    for item in node.get("objects") or ():
        if "List" in item:
            out.append(qualified(names(item["List"].get("items"))))
        elif "String" in item:
            out.append(qualified([item["String"].get("sval", "")]))
    return out


def commands(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in node.get("cmds") or ():
        cmd = item.get("AlterTableCmd")
        if cmd is not None:
            yield cmd


def walk(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(node type, body) of every typed node under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict):
                if key[:1].isupper():
                    yield key, value
                yield from walk(value)
            elif isinstance(value, list):
                for item in value:
                    yield from walk(item)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def is_not_null_test(expr: dict[str, Any]) -> str:
    """The column of ``CHECK (column IS NOT NULL)``, else empty."""
    test = expr.get("NullTest")
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return ""
    fields = names(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
    return fields[-1] if len(fields) == 1 else ""


def volatile_call(expr: dict[str, Any], volatility: Mapping[str, str]) -> str:
    """The function making ``expr`` volatile (or unknown, so taken as volatile), else empty."""
    for kind, body in walk({"expr": expr}):
        if kind == "FuncCall":
            parts = names(body.get("funcname"))
            name = parts[-1].lower() if parts else ""
            declared = volatility.get(qualified(parts) if len(parts) > 1 else name)
            if declared is not None:
                if declared == "volatile":
                    return f"{'.'.join(parts)}()"
                continue
            if name in _VOLATILE or name not in _NON_VOLATILE:
                return f"{'.'.join(parts)}()"
        elif kind == "SubLink":
            return "a subquery"
    return ""


def reads(
    node: dict[str, Any],
    views: Mapping[str, Collection[str]] | None = None,
    skip: Iterable[int] = (),
) -> Effects:
    """ACCESS SHARE on every relation a query reads (ROW SHARE under FOR UPDATE/SHARE), and
    on the relations behind the views it reads that ``views`` (view -> what it reads) knows."""
    effects = Effects()
    ctes = set()
    locked: set[str] = set()
    lock_all = False
    for kind, body in walk({"root": node}):
        if kind == "CommonTableExpr":
            ctes.add(body.get("ctename", ""))
        elif kind == "LockingClause":
            rels = body.get("lockedRels") or ()
            if not rels:
                lock_all = True
            locked.update(relation(r) for r in rels)
    skipped = set(skip)
    for kind, body in walk({"root": node}):
        if kind != "RangeVar" or id(body) in skipped:
            continue
        if not body.get("schemaname") and body.get("relname") in ctes:
            continue
        name = relation(body)
        if name in locked or lock_all:
            effects.add(name, "table", ROW_SHARE, "FOR UPDATE/SHARE")
        else:
            effects.add(name, "table", ACCESS_SHARE, "read")
        if views is not None:
            behind_view(effects, views, name)
    return effects


def behind_view(effects: Effects, views: Mapping[str, Collection[str]], view: str) -> None:
    """ACCESS SHARE on what ``view`` reads, through views of views."""
    pending, seen = [view], {view}
    while pending:
        current = pending.pop()
        for base in sorted(views.get(current, ())):
            effects.add(base, "table", ACCESS_SHARE, f"read through {view}")
            if base not in seen:
                seen.add(base)
                pending.append(base)
