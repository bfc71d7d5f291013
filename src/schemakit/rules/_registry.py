"""The one explicit list of rules; nothing registers itself by being imported.

The list is a table of what selecting a rule needs to know (code, name, kind, status): a
rule's module is imported only when the rule is chosen, so ``lint --sql FILE`` loads the
statement rules and never the catalog rules (tests/rules/test_registry.py checks the table
against the classes). :data:`RULES` is every rule class, loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:
    from schemakit.rules._base import Rule

__all__ = [
    "RULES",
    "TABLE",
    "RuleEntry",
    "get_rule",
    "matches",
    "meta_rule",
    "select_rules",
]

Kind = Literal["sql", "catalog", "other"]
SQL: Kind = "sql"
"""A statement rule (:class:`~schemakit.rules.SqlRule`): runs on SQL text alone."""
CATALOG: Kind = "catalog"
"""A catalog rule (:class:`~schemakit.rules.CatalogRule`): needs a catalog."""
OTHER: Kind = "other"
"""Neither: findings the pipeline makes itself (syntax errors, suppressions, a replay)."""


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """A rule as selection sees it, without importing its module."""

    code: str
    name: str
    kind: Kind
    where: str
    """``module:Class`` under ``schemakit.rules``."""
    status: str = "stable"
    meta: str | None = None

    @property
    def family(self) -> str:
        return self.code[:3]

    def load(self) -> type[Rule]:
        found = _loaded.get(self.code)
        if found is None:
            module, _, name = self.where.partition(":")
            found = getattr(importlib.import_module(f"schemakit.rules.{module}"), name)
            _loaded[self.code] = found
        return found


_loaded: dict[str, type[Rule]] = {}


def _rule(
    code: str,
    name: str,
    kind: Kind,
    *,
    status: str = "stable",
    meta: str | None = None,
    where: str | None = None,
) -> RuleEntry:
    """An entry whose module and class follow the names (``iso.table_in_public:TableInPublic``
    for ISO001 table-in-public) unless ``where`` says otherwise."""
    if where is None:
        camel = "".join(part.capitalize() for part in name.split("-"))
        where = f"{code[:3].lower()}.{name.replace('-', '_')}:{camel}"
    return RuleEntry(code, name, kind, where, status, meta)


TABLE: tuple[RuleEntry, ...] = (
    _rule("ISO001", "table-in-public", CATALOG),
    _rule("ISO002", "type-in-public", CATALOG),
    _rule("ISO003", "routine-or-sequence-in-public", CATALOG),
    _rule("ISO004", "table-in-unclaimed-schema", CATALOG),
    _rule("ISO005", "unclaimed-schema", CATALOG),
    _rule("ISO006", "schema-claimed-twice", CATALOG),
    _rule("ISO007", "object-in-foreign-schema", CATALOG),
    _rule("ISO008", "cross-service-foreign-key", CATALOG),
    _rule("ISO009", "missing-service-schema", CATALOG),
    _rule("ISO010", "stale-read-only-table", OTHER),
    _rule("SEC001", "cross-service-access", CATALOG),
    _rule("SEC002", "create-on-public", CATALOG),
    _rule("SEC003", "user-table-without-rls", CATALOG, status="preview"),
    _rule("SEC004", "cross-service-membership", CATALOG),
    _rule("SEC005", "privileged-service-role", CATALOG),
    _rule("SEC006", "definer-without-search-path", CATALOG),
    _rule("SEC007", "foreign-default-privilege", CATALOG),
    _rule("SEC008", "foreign-owner", CATALOG),
    _rule("SEC009", "foreign-function-owner", CATALOG),
    _rule("NAM001", "non-snake-case-name", CATALOG),
    _rule("NAM002", "singular-table-name", CATALOG),
    _rule("NAM003", "misnamed-junction-table", CATALOG),
    _rule("NAM004", "boolean-without-prefix", CATALOG),
    _rule("NAM005", "timestamp-without-at-suffix", CATALOG),
    _rule("NAM006", "foreign-key-without-id-suffix", CATALOG),
    _rule("NAM007", "count-without-count-suffix", CATALOG),
    _rule("NAM008", "unconventional-index-name", CATALOG),
    _rule("NAM009", "verbose-schema-name", CATALOG),
    _rule("TYP001", "user-id-not-text", CATALOG),
    _rule("TYP002", "timestamp-without-time-zone", CATALOG),
    _rule("TYP003", "non-uuid-primary-key", CATALOG),
    _rule("TYP004", "json-column", CATALOG),
    _rule("COL001", "missing-timestamps", CATALOG),
    _rule("COL002", "nullable-or-defaultless-timestamp", CATALOG),
    _rule("COL003", "incomplete-soft-delete", CATALOG),
    _rule("COL004", "nullable-or-defaultless-boolean", CATALOG),
    _rule("COL005", "missing-primary-key", CATALOG),
    _rule("COL006", "malformed-version-column", CATALOG),
    _rule("IDX001", "fk-without-index", CATALOG),
    _rule("IDX002", "duplicate-index", CATALOG),
    _rule("IDX003", "user-id-without-index", CATALOG),
    _rule("MIG001", "index-without-concurrently", SQL),
    _rule("MIG002", "concurrently-in-transaction", SQL),
    _rule("MIG003", "not-null-column-without-default", SQL),
    _rule("MIG004", "drop-column-or-table", SQL),
    _rule("MIG005", "set-not-null-without-check", SQL),
    _rule("MIG006", "column-type-rewrite", SQL),
    _rule("MIG007", "constraint-without-not-valid", SQL),
    _rule("MIG008", "rename-column-or-table", SQL),
    _rule("MIG009", "unqualified-create", SQL),
    _rule("MIG010", "missing-lock-timeout", SQL),
    _rule("MIG011", "data-and-ddl-in-one-transaction", SQL),
    _rule("MIG012", "volatile-default-rewrite", SQL),
    _rule("MIG013", "drop-index-without-concurrently", SQL),
    _rule("MIG014", "reindex-without-concurrently", SQL),
    _rule("MIG015", "drop-not-null", SQL),
    _rule("MIG016", "truncate-table", SQL),
    _rule("MIG017", "transaction-control", SQL),
    _rule("MIG018", "statement-outside-transaction", SQL),
    _rule("MIG019", "unqualified-alter", SQL),
    _rule("MIG020", "domain-constraint", SQL),
    _rule("MIG021", "detach-partition-without-concurrently", SQL),
    _rule("MIG022", "missing-statement-timeout", SQL),
    _rule("APL001", "migration-does-not-apply", OTHER),
    _rule("APL002", "sources-and-migrations-disagree", OTHER),
    _rule("SYN001", "syntax-error", OTHER, meta="syntax", where="syntax_error:SyntaxError_"),
    _rule(
        "SYN002",
        "typescript-syntax-error",
        OTHER,
        meta="typescript-syntax",
        where="typescript_syntax_error:TypeScriptSyntaxError",
    ),
    _rule(
        "SUP001",
        "unused-suppression",
        OTHER,
        meta="unused-suppression",
        where="unused_suppression:UnusedSuppression",
    ),
    _rule(
        "SUP002",
        "invalid-suppression",
        OTHER,
        meta="invalid-suppression",
        where="invalid_suppression:InvalidSuppression",
    ),
)
"""Every rule, in the order reports and ``schemakit rules`` list them."""

_BY_CODE = {entry.code: entry for entry in TABLE}
_BY_NAME = {entry.name: entry for entry in TABLE}
_BY_META = {entry.meta: entry for entry in TABLE if entry.meta}


class _Rules(Sequence["type[Rule]"]):
    """Every rule class, in table order: the modules load on first use."""

    def _all(self) -> tuple[type[Rule], ...]:
        return tuple(entry.load() for entry in TABLE)

    @overload
    def __getitem__(self, index: int) -> type[Rule]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[type[Rule]]: ...

    def __getitem__(self, index: int | slice) -> type[Rule] | Sequence[type[Rule]]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(TABLE)

    def __iter__(self) -> Iterator[type[Rule]]:
        return (entry.load() for entry in TABLE)

    def __repr__(self) -> str:
        return f"RULES({', '.join(entry.code for entry in TABLE)})"


RULES: Sequence[type[Rule]] = _Rules()


def get_rule(code_or_name: str) -> type[Rule] | None:
    entry = _BY_CODE.get(code_or_name.upper()) or _BY_NAME.get(code_or_name.lower())
    return entry.load() if entry else None


def meta_rule(meta: str) -> type[Rule]:
    """The rule about the linting itself marked ``meta`` (see :attr:`Rule.meta`)."""
    return _BY_META[meta].load()


def matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def select_rules(
    select: tuple[str, ...],
    ignore: tuple[str, ...] = (),
    extend: tuple[str, ...] = (),
    keep: Callable[[RuleEntry], bool] | None = None,
) -> tuple[type[Rule], ...]:
    """Rules matched by ``select`` or ``extend`` and by no ``ignore`` entry, in registry order.

    Preview rules run only when selected by their exact code. ``keep``: only the entries it
    accepts (the rules a caller can run at all), so the others are never imported.
    """
    selectors = (*select, *extend)
    chosen = []
    for entry in TABLE:
        if keep is not None and not keep(entry):
            continue
        if entry.status == "preview":
            picked = entry.code in selectors
        else:
            picked = any(matches(entry.code, s) for s in selectors)
        if picked and not any(matches(entry.code, s) for s in ignore):
            chosen.append(entry.load())
    return tuple(chosen)
