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
from schemakit.rules._pipeline import (
    CatalogRun,
    Checked,
    Selection,
    SourceText,
    StatementRun,
    check,
    check_option_selectors,
    choose_rules,
)
from schemakit.rules._registry import RULES, get_rule, matches, meta_rule, select_rules
from schemakit.rules._statements import MigrationStep, SqlContext, SqlRule, run_sql_rules

__all__ = [
    "DOC_SECTIONS",
    "RULES",
    "CatalogContext",
    "CatalogRule",
    "CatalogRun",
    "Checked",
    "Finding",
    "Fix",
    "InlineIgnore",
    "Location",
    "MigrationStep",
    "Outcome",
    "Rule",
    "Selection",
    "Severity",
    "SourceText",
    "SqlContext",
    "SqlRule",
    "StatementRun",
    "apply_overrides",
    "apply_suppressions",
    "check",
    "check_option_selectors",
    "choose_rules",
    "enclosing_paths",
    "get_rule",
    "matches",
    "meta_rule",
    "quote_ident",
    "run_catalog_rules",
    "run_sql_rules",
    "select_rules",
]
