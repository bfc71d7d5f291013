"""Tables a library owns (Better Auth's): naming, type and column rules leave them alone, the
isolation and index rules do not; a bad entry is a config error naming the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from schemakit.config import load_config
from schemakit.errors import ConfigError
from schemakit.lint import lint
from schemakit.testing import Cluster

# Better Auth's Drizzle adapter, as it writes its tables (camelCase columns, text ids)
BETTER_AUTH = """
CREATE SCHEMA auth;
CREATE TABLE auth."user" (
    id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
    "emailVerified" boolean NOT NULL, image text,
    "createdAt" timestamp NOT NULL, "updatedAt" timestamp NOT NULL
);
CREATE TABLE auth.session (
    id text PRIMARY KEY, "expiresAt" timestamp NOT NULL, token text NOT NULL UNIQUE,
    "userId" text NOT NULL REFERENCES auth."user" (id) ON DELETE CASCADE
);
CREATE TABLE auth.verification (
    id text PRIMARY KEY, identifier text NOT NULL, value text NOT NULL,
    "expiresAt" timestamp NOT NULL
);
-- the platform's own table next to them is checked as usual
CREATE TABLE auth.audit (id serial PRIMARY KEY, "userId" text);
-- and a library table in public is still in public
CREATE TABLE public.session (id text PRIMARY KEY);
"""


def project(tmp_path: Path, library: str) -> Path:
    tmp_path.mkdir()
    (tmp_path / "schemakit.toml").write_text(
        textwrap.dedent(
            f"""
            [services.auth]
            schemas = ["auth"]
            migrations = "m"

            [lint]
            library-tables = {library}
            """
        )
    )
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0001.sql").write_text(BETTER_AUTH)
    return tmp_path


def test_library_tables_are_spared_the_shape_rules(tmp_path: Path, pg_cluster: Cluster) -> None:
    without = lint(project(tmp_path / "a", "[]"), cluster=pg_cluster).findings
    spared = lint(project(tmp_path / "b", '["better-auth:auth"]'), cluster=pg_cluster).findings

    def on(findings: list, table: str) -> set[str]:  # type: ignore[type-arg]
        return {f.code for f in findings if (f.object or "").startswith(table)}

    assert {"NAM001", "TYP002", "TYP003"} <= on(without, "auth.user")
    assert not any(
        f.code[:3] in ("NAM", "TYP", "COL") for f in spared if "auth.user" in (f.object or "")
    )
    assert not any(
        f.code[:3] in ("NAM", "TYP", "COL") for f in spared if "auth.session" in (f.object or "")
    )
    # the rest is still judged: the platform's own table, indexes, isolation
    assert {"TYP003", "NAM001"} <= on(spared, "auth.audit")
    assert "IDX001" in on(spared, "auth.session")
    assert "ISO001" in on(spared, "public.session")


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('["nextauth:auth"]', "no preset 'nextauth'"),
        ('["users"]', "neither schema.table"),
        ('["better-auth:a.b"]', "is not a schema name"),
    ],
)
def test_bad_library_tables_entry(tmp_path: Path, entry: str, words: str) -> None:
    (tmp_path / "schemakit.toml").write_text(f"[lint]\nlibrary-tables = {entry}\n")
    with pytest.raises(ConfigError, match=r"lint\.library-tables") as raised:
        load_config(tmp_path)
    assert words in str(raised.value)
