"""Reporters for lint findings: text and JSON (a library, not the CLI)."""

from importlib import resources

from schemakit.report._json import SCHEMA_VERSION, render_json, to_dict
from schemakit.report._reporter import (
    REPORTERS,
    JsonReporter,
    LintReport,
    Reporter,
    TextReporter,
    rules_table,
)
from schemakit.report._text import render_text

__all__ = [
    "REPORTERS",
    "SCHEMA_VERSION",
    "JsonReporter",
    "LintReport",
    "Reporter",
    "TextReporter",
    "json_schema",
    "render_json",
    "render_text",
    "rules_table",
    "to_dict",
]


def json_schema() -> str:
    """The JSON schema that ``--format json`` output validates against."""
    return (resources.files("schemakit.report") / "lint-report.schema.json").read_text()
