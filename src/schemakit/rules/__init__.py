"""Rules: the registry, the engine, and one module per rule."""

from schemakit.rules._base import (
    DOC_SECTIONS,
    CatalogContext,
    CatalogRule,
    Finding,
    Fix,
    Location,
    Rule,
    Severity,
    enclosing_paths,
    quote_ident,
)
from schemakit.rules._engine import (
    InlineIgnore,
    Outcome,
    apply_overrides,
    apply_suppressions,
    run_catalog_rules,
)
from schemakit.rules._registry import RULES, get_rule, matches, select_rules
from schemakit.rules._sql import MigrationStep, SqlContext, SqlRule, run_sql_rules

__all__ = [
    "DOC_SECTIONS",
    "RULES",
    "CatalogContext",
    "CatalogRule",
    "Finding",
    "Fix",
    "InlineIgnore",
    "Location",
    "MigrationStep",
    "Outcome",
    "Rule",
    "Severity",
    "SqlContext",
    "SqlRule",
    "apply_overrides",
    "apply_suppressions",
    "enclosing_paths",
    "get_rule",
    "matches",
    "quote_ident",
    "run_catalog_rules",
    "run_sql_rules",
    "select_rules",
]
