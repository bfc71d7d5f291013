"""Configuration: discovery, validation with file and key in every error."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from schemakit.config import find_config, load_config
from schemakit.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_schemakit_toml(tmp_path: Path) -> None:
    write(
        tmp_path / "schemakit.toml",
        """
        database = "platform"
        exempt-databases = ["sync"]

        [services.auth]
        schemas = ["auth"]
        migrations = "auth/migrations"
        role = "auth_service"

        [services.sync]
        schemas = []
        database = "sync"

        [lint]
        ignore = ["ISO005"]
        per-object-ignores = { "public.legacy_*" = ["ISO001"] }
        """,
    )
    config = load_config(tmp_path)
    auth = config.services["auth"]
    assert auth.schemas == ("auth",)
    assert auth.database == "platform"
    assert auth.migrations == (tmp_path / "auth" / "migrations").resolve()
    assert auth.role == "auth_service"
    assert config.databases == ("platform", "sync")
    assert config.is_exempt("sync")
    assert not config.is_exempt("platform")
    assert config.lint.ignore == ("ISO005",)
    assert config.lint.per_object_ignores == {"public.legacy_*": ("ISO001",)}


def test_pyproject_tool_table_found_from_a_subfolder(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
        [project]
        name = "x"

        [tool.schemakit.services.auth]
        schemas = ["auth"]
        """,
    )
    (tmp_path / "src" / "deep").mkdir(parents=True)
    assert find_config(tmp_path / "src" / "deep") == tmp_path / "pyproject.toml"
    assert load_config(tmp_path / "src" / "deep").services["auth"].schemas == ("auth",)


def test_pyproject_without_tool_table_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_config(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (
            "[services.auth]\nschemas = ['auth']\nmigratons = 'm'\n",
            "services.auth.migratons",
            "did you mean 'migrations'",
        ),
        (
            "[services.auth]\nschemas = 'auth'\ndatabase = 3\n",
            "services.auth.database",
            "must be a non-empty string, not an integer",
        ),
        (
            "[services.auth]\nschemas = ['Auth-Schema']\n",
            "services.auth.schemas[0]",
            "not a plain PostgreSQL identifier",
        ),
        ("[services.auth]\ndatabase = 'x'\n", "services.auth", "missing key 'schemas'"),
        ("databse = 'x'\n", "databse", "did you mean 'database'"),
        ("[lint]\nselect = ['iso001']\n", "lint.select[0]", "not a rule code or prefix"),
        ("services = 3\n", "services", "must be a table"),
        (
            "[lint]\ntext-id-columns = ['User Id']\n",
            "lint.text-id-columns[0]",
            "not a plain PostgreSQL identifier",
        ),
        (
            "[lint]\nuncountable-nouns = ['user_feedback']\n",
            "lint.uncountable-nouns[0]",
            "is not one lower case word",
        ),
        (
            "[lint]\nextend-boolean-prefixes = ['can']\n",
            "lint.extend-boolean-prefixes[0]",
            "is not a column name prefix",
        ),
        ("[lint]\nuncountable-noun = ['inbox']\n", "lint.uncountable-noun", "did you mean"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    path = write(tmp_path / "schemakit.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    rendered = info.value.render()
    assert str(path) in rendered
    assert key in rendered
    assert words in rendered


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path / "schemakit.toml", "[services.auth\n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(tmp_path)
    assert str(path) in str(info.value)


def test_no_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no schemakit\.toml"):
        load_config(tmp_path)


def test_schema_owners_lists_every_claimant(tmp_path: Path) -> None:
    write(
        tmp_path / "schemakit.toml",
        """
        [services.research-api]
        schemas = ["research"]
        [services.research-worker]
        schemas = ["research", "research_jobs"]
        """,
    )
    owners = load_config(tmp_path).schema_owners("main")
    assert owners["research"] == ("research-api", "research-worker")
    assert owners["research_jobs"] == ("research-worker",)


def test_schema_listed_twice_in_one_service(tmp_path: Path) -> None:
    write(tmp_path / "schemakit.toml", '[services.app]\nschemas = ["app", "app"]\n')
    with pytest.raises(
        ConfigError, match=r"services\.app\.schemas\[1\]: schema 'app' is listed twice"
    ):
        load_config(tmp_path)


def test_non_utf8_config(tmp_path: Path) -> None:
    (tmp_path / "schemakit.toml").write_bytes(b"database = '\xff'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path)


def test_lint_thresholds_and_allowlists(tmp_path: Path) -> None:
    write(
        tmp_path / "schemakit.toml",
        """
        [lint]
        text-id-columns = ["user_id", "owner_id"]
        uncountable-nouns = ["inbox"]
        extend-boolean-prefixes = ["can_", "should_"]
        """,
    )
    lint = load_config(tmp_path).lint
    assert lint.text_id_columns == ("user_id", "owner_id")
    assert lint.uncountable_nouns == ("inbox",)
    assert lint.extend_boolean_prefixes == ("can_", "should_")


def test_lint_allowlists_default_to_the_conventions(tmp_path: Path) -> None:
    write(tmp_path / "schemakit.toml", "[lint]\nselect = ['ALL']\n")
    lint = load_config(tmp_path).lint
    assert lint.text_id_columns is None  # the rule falls back to conventions.TEXT_ID_COLUMNS
    assert lint.uncountable_nouns == ()
    assert lint.extend_boolean_prefixes == ()


def test_per_file_per_service_and_severity_overrides(tmp_path: Path) -> None:
    from schemakit.lint import lint
    from schemakit.testing import Cluster

    write(
        tmp_path / "schemakit.toml",
        """
        [services.app]
        schemas = ["app"]
        migrations = "app"

        [services.legacy]
        schemas = ["legacy"]
        migrations = "legacy"

        [lint]
        select = ["TYP", "COL001"]
        severity = { "TYP" = "warning", "TYP004" = "error" }
        per-file-ignores = { "app/0002_*.sql" = ["COL001"] }
        per-service-ignores = { legacy = ["TYP"] }
        """,
    )
    stamps = "created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now()"
    write(
        tmp_path / "app" / "0001_init.sql",
        f"CREATE SCHEMA app;\nCREATE TABLE app.a (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid, doc json, {stamps});\n",
    )
    write(
        tmp_path / "app" / "0002_more.sql",
        "CREATE TABLE app.b (id uuid PRIMARY KEY DEFAULT gen_random_uuid());\n",
    )
    write(
        tmp_path / "legacy" / "0001.sql",
        "CREATE SCHEMA legacy;\nCREATE TABLE legacy.c (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid);\n",
    )
    with Cluster() as cluster:
        result = lint(tmp_path, cluster=cluster)
    found = {(f.code, f.object, f.severity.value) for f in result.findings}
    assert found == {
        ("TYP001", "app.a.user_id", "warning"),  # TYP overridden to warning
        ("TYP004", "app.a.doc", "error"),  # the more specific override wins
        ("COL001", "legacy.c", "error"),  # legacy ignores TYP only
    }
    assert result.suppressed == 2  # app.b's COL001 (per file) and legacy's TYP001 (per service)


def test_bad_severity_value(tmp_path: Path) -> None:
    write(tmp_path / "schemakit.toml", '[lint]\nseverity = { "ISO001" = "fatal" }\n')
    with pytest.raises(
        ConfigError, match=r"lint\.severity\.ISO001: 'fatal' is not error or warning"
    ):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("lint", "message"),
    [
        (
            '[lint.per-object-ignores]\n"app.t.id" = ["TYP03"]',
            r"lint\.per-object-ignores\.app\.t\.id: rule selector 'TYP03' matches no rule",
        ),
        (
            '[lint.per-service-ignores]\napp = ["IDX02"]',
            r"lint\.per-service-ignores\.app: rule selector 'IDX02' matches no rule",
        ),
        (
            '[lint.per-service-ignores]\nnosuch = ["NAM"]',
            r"lint\.per-service-ignores\.nosuch: no service 'nosuch' is configured",
        ),
        (
            '[lint.severity]\nFOO = "error"',
            r"lint\.severity\.FOO: rule selector 'FOO' matches no rule",
        ),
        (
            '[lint.per-file-ignores]\n"*.sql" = ["MIG0099"]',
            r"lint\.per-file-ignores\.\*\.sql\[0\]: 'MIG0099' is not a rule code",
        ),
        ('[lint]\nignore = ["XYZ"]', r"lint\.ignore: rule selector 'XYZ' matches no rule"),
    ],
)
def test_every_rule_selector_in_the_config_must_name_a_rule(
    tmp_path: Path, lint: str, message: str
) -> None:
    """A misspelt code would otherwise ignore nothing (or everything), silently."""
    from schemakit.lint import lint_files

    write(tmp_path / "schemakit.toml", f'[services.app]\nschemas = ["app"]\n\n{lint}\n')
    sql = write(tmp_path / "m.sql", "SELECT 1;\n")
    with pytest.raises(ConfigError, match=message):
        lint_files([sql])


@pytest.mark.parametrize("value", ["-1", '"7"', "1.5", "true"])
def test_drop_wait_days_must_be_days(tmp_path: Path, value: str) -> None:
    write(tmp_path / "schemakit.toml", f"[lint]\ndrop-wait-days = {value}\n")
    with pytest.raises(ConfigError, match=r"lint\.drop-wait-days: must be a whole number of days"):
        load_config(tmp_path)


@pytest.mark.parametrize("role", ["public", "pg_app", "none", "postgres", "current_user"])
def test_a_service_role_postgres_reserves_is_refused(tmp_path: Path, role: str) -> None:
    write(tmp_path / "schemakit.toml", f'[services.app]\nschemas = ["app"]\nrole = "{role}"\n')
    with pytest.raises(ConfigError, match=rf"services\.app\.role: '{role}' is a name PostgreSQL"):
        load_config(tmp_path)


def test_a_migrations_folder_whose_migrations_are_below_it_is_an_error(tmp_path: Path) -> None:
    """drizzle-kit's one folder per schema, configured as their parent: said, not silent."""
    from schemakit.config import load_config as load
    from schemakit.migrate import discover

    write(tmp_path / "schemakit.toml", '[services.a]\nschemas = ["auth"]\nmigrations = "d"\n')
    write(tmp_path / "d" / "auth" / "meta" / "_journal.json", '{"entries": []}')
    write(tmp_path / "d" / "public" / "0000_x.sql", "SELECT 1;\n")
    config = load(tmp_path)
    with pytest.raises(ConfigError, match=r"services\.a\.migrations") as raised:
        discover(config.services["a"], config.path)
    assert "its subfolders hold migrations: auth, public" in str(raised.value)
    # an empty folder is a new service's history, not an error
    (tmp_path / "e").mkdir()
    write(tmp_path / "schemakit.toml", '[services.a]\nschemas = ["auth"]\nmigrations = "e"\n')
    config = load(tmp_path)
    found = discover(config.services["a"], config.path)
    assert found is not None
    assert found.files == ()


def test_owner_role_defaults_to_role_owner_and_can_be_named(tmp_path: Path) -> None:
    write(
        tmp_path / "schemakit.toml",
        """
        [services.auth]
        schemas = ["auth"]
        role = "auth_service"
        row-security = ["sessions", "auth.accounts"]

        [services.notes]
        schemas = ["notes"]
        role = "notes_app"
        owner-role = "notes_ddl"

        [services.plain]
        schemas = ["plain"]
        """,
    )
    services = {s.name: s for s in load_config(tmp_path).services.values()}
    assert services["auth"].owner_role == "auth_service_owner"
    assert services["auth"].row_security == ("sessions", "auth.accounts")
    assert services["notes"].owner_role == "notes_ddl"
    assert services["plain"].owner_role is None


@pytest.mark.parametrize(
    ("lines", "key", "words"),
    [
        ('role = "a"\nowner-role = "a"', "owner-role", "must differ"),
        ('owner-role = "a_owner"', "owner-role", "needs the login role"),
        ('role = "a"\nrow-security = ["x.y.z"]', "row-security[0]", "is not 'table'"),
    ],
)
def test_owner_role_mistakes(tmp_path: Path, lines: str, key: str, words: str) -> None:
    write(tmp_path / "schemakit.toml", f'[services.app]\nschemas = ["app"]\n{lines}\n')
    pattern = re.escape(f"services.app.{key}") + ".*" + words
    with pytest.raises(ConfigError, match=pattern):
        load_config(tmp_path)


@pytest.mark.parametrize("schema", ["public", "information_schema", "pg_catalog", "pg_temp_1"])
def test_a_schema_every_role_shares_is_refused(tmp_path: Path, schema: str) -> None:
    write(tmp_path / "schemakit.toml", f'[services.app]\nschemas = ["{schema}"]\n')
    with pytest.raises(ConfigError, match=rf"services\.app\.schemas\[0\]: '{schema}'"):
        load_config(tmp_path)
