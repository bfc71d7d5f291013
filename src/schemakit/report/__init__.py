"""Reporters for lint findings: text, JSON, SARIF and GitHub annotations (a library, not the CLI)."""

from schemakit.report._fix import render_fix_sql
from schemakit.report._github import render_github
from schemakit.report._json import SCHEMA_VERSION, render_json, to_dict
from schemakit.report._reporter import (
    REPORTERS,
    GithubReporter,
    JsonReporter,
    LintReport,
    Reporter,
    SarifReporter,
    TextReporter,
    rules_table,
)
from schemakit.report._sarif import SARIF_VERSION, render_sarif, to_sarif
from schemakit.report._text import render_text

__all__ = [
    "REPORTERS",
    "SARIF_VERSION",
    "SCHEMA_VERSION",
    "GithubReporter",
    "JsonReporter",
    "LintReport",
    "Reporter",
    "SarifReporter",
    "TextReporter",
    "json_schema",
    "render_fix_sql",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
    "rules_table",
    "sarif_schema",
    "to_dict",
    "to_sarif",
]


def json_schema() -> str:
    """The JSON schema that ``--format json`` output validates against."""
    from importlib import resources  # with tempfile and shutil: not for every lint's start-up

    return (resources.files("schemakit.report") / "lint-report.schema.json").read_text()


def sarif_schema() -> str:
    """The SARIF 2.1.0 JSON schema (OASIS errata01) that ``--format sarif`` output validates against."""
    from importlib import resources

    return (resources.files("schemakit.report") / "sarif-2.1.0.schema.json").read_text()
