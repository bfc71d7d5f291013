"""SARIF and GitHub-annotation output: schema-valid, rules from the registry, escaped properly."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from schemakit.cli import main
from schemakit.report import REPORTERS, LintReport, render_github, sarif_schema, to_sarif
from schemakit.report._github import annotation, escape_data, escape_property
from schemakit.report._sarif import object_kind
from schemakit.rules import RULES, Finding, Location, Severity, get_rule

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "platform"


@pytest.fixture(scope="module")
def sarif(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("sarif") / "report.sarif"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        code = main(["lint", "examples/platform", "--format", "sarif", "-o", str(target)])
    assert code == 1
    document: dict[str, Any] = json.loads(target.read_text())
    return document


def validate(document: dict[str, Any]) -> None:
    schema = json.loads(sarif_schema())
    # The OASIS file declares its own draft; validate with that one, formats included.
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_validates_against_the_official_schema(sarif: dict[str, Any]) -> None:
    schema = json.loads(sarif_schema())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    assert sarif["version"] == "2.1.0"
    validate(sarif)


def test_sarif_rules_come_from_the_registry(sarif: dict[str, Any]) -> None:
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "schemakit"
    rules = driver["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for descriptor in rules:
        rule = get_rule(descriptor["id"])
        assert rule is not None
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary()
        assert descriptor["fullDescription"]["text"] == rule.doc_sections()["What it does"]
        assert descriptor["help"]["markdown"] == rule.doc()
        assert descriptor["defaultConfiguration"]["level"] == rule.severity.value
        assert descriptor["properties"]["tags"] == [rule.family()]


def test_sarif_results_point_at_their_rules_and_files(sarif: dict[str, Any]) -> None:
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) > 10
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == get_rule(result["ruleId"]).severity.value  # type: ignore[union-attr]
        for location in result["locations"]:
            physical = location.get("physicalLocation")
            if physical is None:
                continue
            artifact = physical["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%"
            assert not Path(artifact["uri"]).is_absolute()
            assert (ROOT / artifact["uri"]).is_file(), artifact["uri"]
            assert physical["region"]["startLine"] >= 1


def test_sarif_database_objects_have_logical_locations(sarif: dict[str, Any]) -> None:
    (run,) = sarif["runs"]
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for result in run["results"]:
        by_rule.setdefault(result["ruleId"], []).append(result)
        if "database" in result.get("properties", {}):
            (location,) = result["locations"]
            assert location["logicalLocations"][0]["fullyQualifiedName"]
    (iso002,) = by_rule["ISO002"]
    (location,) = iso002["locations"]
    assert location["logicalLocations"] == [
        {"fullyQualifiedName": "public.transaction_type", "kind": "type"}
    ]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == (
        "examples/platform/services/credits/src/db/schema/index.ts"
    )
    assert location["physicalLocation"]["region"]["startLine"] == 10
    assert iso002["properties"]["database"] == "platform"


def finding(**overrides: Any) -> Finding:
    fields: dict[str, Any] = {
        "code": "TYP004",
        "name": "json-column",
        "message": "Column auth.users.meta is json, not jsonb",
        "help": "Use jsonb.",
        "severity": Severity.ERROR,
        "object": "auth.users.meta",
        "database": "platform",
        "kind": "column",
    }
    fields.update(overrides)
    return Finding(**fields)


def test_sarif_without_a_file_location_is_logical_only_and_redacted() -> None:
    secret = "postgresql://app:hunter2@db/platform"
    rule = get_rule("TYP004")
    assert rule is not None
    document = to_sarif(
        [finding(message=f"Column auth.users.meta is json, not jsonb ({secret})")],
        version="0.0.0",
        rules=[rule],
    )
    validate(document)
    (result,) = document["runs"][0]["results"]
    assert result["locations"] == [
        {"logicalLocations": [{"fullyQualifiedName": "auth.users.meta", "kind": "column"}]}
    ]
    assert "hunter2" not in json.dumps(document)


def test_sarif_adds_rules_of_findings_outside_the_selection() -> None:
    document = to_sarif(
        [finding(code="SUP001", name="unused-suppression", object=None)],
        version="0.0.0",
        rules=[],
    )
    validate(document)
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["SUP001"]
    assert run["results"][0]["ruleIndex"] == 0
    assert "locations" not in run["results"][0]


def test_absolute_paths_outside_the_working_directory_are_file_uris(tmp_path: Path) -> None:
    outside = Path("/nonexistent-root") / "dir, with comma" / "0001 init.sql"
    document = to_sarif(
        [finding(location=Location(outside, 3, 5))], version="0.0.0", rules=list(RULES)
    )
    validate(document)
    artifact = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert artifact["artifactLocation"] == {"uri": outside.as_uri()}
    assert artifact["region"] == {"startLine": 3, "startColumn": 5}


def test_every_schema_rule_says_what_it_names() -> None:
    """The kind comes from the rule, not from the message's wording."""
    for rule in RULES:
        assert (rule.object_kind == "object") == (rule.meta is not None), rule.code
    assert object_kind(finding(message="Table auth.users.meta is odd")) == "column"
    named = get_rule("NAM004")
    assert named is not None
    assert object_kind(named().finding("x", "y", object="auth.users.flag")) == "column"


def test_sarif_kinds_of_the_example(sarif: dict[str, Any]) -> None:
    kinds = {
        location["fullyQualifiedName"]: location["kind"]
        for result in sarif["runs"][0]["results"]
        for place in result.get("locations", ())
        for location in place.get("logicalLocations", ())
    }
    assert kinds
    assert "object" not in kinds.values()


def test_github_annotations_for_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        code = main(["lint", "examples/platform", "--format", "github"])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines
    assert all(re.match(r"^::(error|warning) .*::.+$", line) for line in lines), out
    assert (
        "::error file=examples/platform/services/credits/src/db/schema/index.ts,"
        "line=10,col=1,title=ISO002 type-in-public::Enum type public.transaction_type is in "
        "the public schema"
    ) in lines
    assert any(line.startswith("::warning file=") for line in lines)


def test_github_escaping() -> None:
    assert escape_data("100%\r\ndone") == "100%25%0D%0Adone"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    path = Path.cwd() / "dir, with comma" / "a:b.sql"
    line = annotation(
        finding(
            message="first line\nsecond 50% line",
            severity=Severity.WARNING,
            location=Location(path, 7, 2),
        )
    )
    assert line == (
        "::warning file=dir%2C with comma/a%3Ab.sql,line=7,col=2,"
        "title=TYP004 json-column::first line%0Asecond 50%25 line"
    )


def test_github_without_file_names_the_object() -> None:
    secret = "postgresql://app:hunter2@db/platform"
    text = render_github([finding(message=f"bad\nthing {secret}")])
    assert text == (
        "::error title=TYP004 json-column::auth.users.meta: bad%0Athing "
        "postgresql://app:***@db/platform\n"
    )


def test_reporters_registered() -> None:
    assert {"sarif", "github"} <= set(REPORTERS)
    report = LintReport(findings=[finding()], rules=list(RULES), version="0.0.0")

    stream = io.StringIO()
    REPORTERS["sarif"].write(report, stream)
    validate(json.loads(stream.getvalue()))
