"""The findings of loose files name no service: each is copied without it, the rest as it was."""

from __future__ import annotations


def test_a_finding_without_its_service_is_the_finding_replaced() -> None:
    from dataclasses import fields, replace
    from pathlib import Path

    from schemakit.rules import Finding, Fix, Location, Severity
    from schemakit.rules._pipeline import _without_service

    finding = Finding(
        "MIG001",
        "index-without-concurrently",
        "message",
        "help",
        Severity.WARNING,
        object="app.t",
        database="main",
        location=Location(Path("m.sql"), 3, 5),
        service="billing",
        fix=Fix("CREATE INDEX CONCURRENTLY ...", "review"),
        kind="table",
    )
    copied = _without_service(finding)
    assert copied == replace(finding, service=None)
    assert [getattr(copied, f.name) for f in fields(Finding) if f.name != "service"] == [
        getattr(finding, f.name) for f in fields(Finding) if f.name != "service"
    ]
    assert finding.service == "billing"  # the original is left as it was
