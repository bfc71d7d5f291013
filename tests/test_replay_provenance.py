"""Findings point at the statement that really created the object, as the server saw it."""

from __future__ import annotations

from pathlib import Path

from schemakit.lint import lint
from schemakit.testing import Cluster

FIXTURE = Path(__file__).parent / "fixtures" / "provenance"


def test_server_side_provenance(pg_cluster: Cluster) -> None:
    result = lint(FIXTURE, cluster=pg_cluster)
    found = {
        (
            f.code,
            f.object,
            f.location.path.name if f.location else None,
            f.location.line if f.location else None,
        )
        for f in result.findings
    }
    assert found == {
        # DDL inside a DO block is the credits service's, at the DO statement
        ("ISO007", "auth.sneaky", "0001.sql", 4),
        # SET LOCAL search_path ended with its transaction: this one landed in public
        ("ISO001", "public.outside", "0001.sql", 9),
        # moved into auth by ALTER ... SET SCHEMA, in the second file
        ("ISO007", "auth.holds", "0002.sql", 1),
        # a partitioned table is a table
        ("ISO001", "public.events", "0002.sql", 4),
    }
    # the unnamed foreign key added by ALTER TABLE is located at that ALTER, where the inline
    # ignore sits, so it is suppressed (and the ignore is not reported unused)
    assert result.suppressed == 1


def test_replay_leaves_no_trace_in_the_catalog(pg_cluster: Cluster) -> None:
    result = lint(FIXTURE, cluster=pg_cluster)
    assert not any("schemakit_replay" in (f.object or "") for f in result.findings)
