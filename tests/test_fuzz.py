"""Fuzzing ``schemakit lint`` on SQL text: generated and mutated inputs never crash it.

Two sources of input: migrations built from a grammar of the statements migrations hold
(DDL, ``SET lock_timeout``, data changes, comments and ``schemakit: ignore[...]``, drizzle's
``--> statement-breakpoint``, dollar quotes, non-ASCII names, CRLF), sometimes damaged; and the
real migrations of the repository (the example platform's, the rule fixtures'), truncated,
with text or bytes inserted, deleted or repeated. Each input is linted in-process as a file, as
standard input or as a drizzle folder, and :func:`check_input` asserts what the linter
promises: no exception but :class:`MigrationError` for bytes that are not UTF-8; every finding
at a line and column of the file; a statement that does not parse is a SYN001 finding, never
an error. Through the CLI (``main``, every format), exit 2 only for bytes that are not UTF-8.

Each property runs ``SCHEMAKIT_FUZZ_EXAMPLES`` examples (default 1,000; the CLI property a
tenth of it). ``bench/fuzz.py`` runs 100,000 inputs with these same strategies, plus every
truncation of every real migration.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pglast import parser

from schemakit.cli import main
from schemakit.errors import MigrationError
from schemakit.lint import lint_files
from schemakit.lint._files import STDIN
from schemakit.sql import BREAKPOINT, SqlSyntaxError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("SCHEMAKIT_FUZZ_EXAMPLES", "1000"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # timings are noisy on a shared machine; a slow input is not a bug here
    database=None,  # no example database: a failure prints its input instead of saving it
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def real_migrations() -> list[tuple[str, bytes]]:
    """(path relative to the repository, bytes) of every SQL migration the repository holds."""
    paths = {
        *ROOT.glob("examples/platform/**/migrations/*.sql"),
        *ROOT.glob("examples/platform/**/drizzle/*.sql"),
        *ROOT.glob("tests/rules/fixtures/**/*.sql"),
    }
    return [(str(p.relative_to(ROOT)), p.read_bytes()) for p in sorted(paths)]


REAL = real_migrations()


# --- the grammar -----------------------------------------------------------------------------

_NAMES = ("users", "orders", "files", "t", "user_id", "created_at", "is_active", "café", "таблица")
_SCHEMAS = ("app", "auth", "public", "billing", "storage")
_TYPES = (
    "int",
    "bigint",
    "text",
    "uuid",
    "varchar(200)",
    "numeric(10, 2)",
    "boolean",
    "timestamptz",
    "timestamp without time zone",
    "jsonb",
    "json",
    "text[]",
    "date",
)
_CODES = ("MIG001", "MIG003", "MIG004", "MIG", "SYN001", "SUP001", "ISO001", "IS0001", "x", "")
_free_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


identifiers = st.one_of(
    st.sampled_from(_NAMES),
    st.sampled_from(_NAMES).map(_quote_ident),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12).map(
        _quote_ident
    ),
)
schemas = st.one_of(st.sampled_from(_SCHEMAS), st.sampled_from(_SCHEMAS).map(_quote_ident))
tables = st.one_of(identifiers, st.builds("{}.{}".format, schemas, identifiers))
types = st.sampled_from(_TYPES)
values = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(str),
    _free_text.map(_literal),
    st.sampled_from(("NULL", "now()", "true", "false", "gen_random_uuid()", "'{}'::jsonb")),
)


@st.composite
def column_definitions(draw: st.DrawFn) -> str:
    parts = [draw(identifiers), draw(types)]
    if draw(st.booleans()):
        parts.append("NOT NULL")
    if draw(st.booleans()):
        parts.append(f"DEFAULT {draw(values)}")
    constraint = draw(st.sampled_from(("", "PRIMARY KEY", "UNIQUE", "REFERENCES")))
    if constraint == "REFERENCES":
        constraint = f"REFERENCES {draw(tables)} (id) ON DELETE CASCADE"
    return " ".join([*parts, constraint]).rstrip()


@st.composite
def create_table(draw: st.DrawFn) -> str:
    columns = draw(st.lists(column_definitions(), min_size=1, max_size=5))
    exists = draw(st.sampled_from(("", "IF NOT EXISTS ")))
    return f"CREATE TABLE {exists}{draw(tables)} (\n    " + ",\n    ".join(columns) + "\n)"


@st.composite
def create_index(draw: st.DrawFn) -> str:
    unique = draw(st.sampled_from(("", "UNIQUE ")))
    concurrently = draw(st.sampled_from(("", "CONCURRENTLY ")))
    name = draw(st.one_of(st.just(""), st.builds("IF NOT EXISTS {} ".format, identifiers)))
    name = name or draw(st.one_of(st.just(""), identifiers.map("{} ".format)))
    columns = ", ".join(draw(st.lists(identifiers, min_size=1, max_size=3)))
    using = draw(st.sampled_from(("", "USING btree ", "USING gin ")))
    where = draw(st.sampled_from(("", " WHERE deleted_at IS NULL")))
    return f"CREATE {unique}INDEX {concurrently}{name}ON {draw(tables)} {using}({columns}){where}"


@st.composite
def alter_action(draw: st.DrawFn) -> str:
    column = draw(identifiers)
    kind = draw(st.integers(0, 16))
    if kind == 0:
        return f"ADD COLUMN {draw(column_definitions())}"
    if kind == 1:
        return f"ADD COLUMN IF NOT EXISTS {column} {draw(types)} NOT NULL DEFAULT {draw(values)}"
    if kind in (2, 3):
        return f"DROP COLUMN {column}" + (" CASCADE" if kind == 2 else "")
    if kind in (4, 5):
        using = f" USING {column}::text" if kind == 5 else ""
        return f"ALTER COLUMN {column} TYPE {draw(types)}{using}"
    if kind == 6:
        return f"ALTER COLUMN {column} SET DEFAULT {draw(values)}"
    simple = (
        f"ALTER COLUMN {column} SET NOT NULL",
        f"ALTER COLUMN {column} DROP NOT NULL",
        f"ALTER COLUMN {column} DROP DEFAULT",
        f"VALIDATE CONSTRAINT {column}",
        f"DROP CONSTRAINT IF EXISTS {column}",
    )
    if kind < 7 + len(simple):
        return simple[kind - 7]
    name = draw(identifiers)
    return draw(
        st.sampled_from(
            (
                f"ADD CONSTRAINT {name} CHECK ({column} IS NOT NULL)",
                f"ADD CONSTRAINT {name} CHECK ({column} > 0) NOT VALID",
                f"ADD CONSTRAINT {name} UNIQUE ({column})",
                f"ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {draw(tables)} (id)",
                f"ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {draw(tables)} NOT VALID",
            )
        )
    )


@st.composite
def alter_table(draw: st.DrawFn) -> str:
    head = f"ALTER TABLE {draw(st.sampled_from(('', 'IF EXISTS ', 'ONLY ')))}{draw(tables)}"
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return f"{head} RENAME COLUMN {draw(identifiers)} TO {draw(identifiers)}"
    if kind == 1:
        return f"{head} RENAME TO {draw(identifiers)}"
    if kind == 2:
        return f"{head} RENAME CONSTRAINT {draw(identifiers)} TO {draw(identifiers)}"
    if kind == 3:
        return f"{head} SET SCHEMA {draw(schemas)}"
    # a rename stands alone in its ALTER TABLE; other actions may be listed
    return head + "\n    " + ",\n    ".join(draw(st.lists(alter_action(), min_size=1, max_size=3)))


@st.composite
def drop(draw: st.DrawFn) -> str:
    names = ", ".join(draw(st.lists(tables, min_size=1, max_size=2)))
    exists = draw(st.sampled_from(("", "IF EXISTS ")))
    tail = draw(st.sampled_from(("", " CASCADE", " RESTRICT")))
    kind = draw(st.sampled_from(("TABLE", "INDEX", "INDEX CONCURRENTLY", "VIEW", "TYPE")))
    if kind == "INDEX CONCURRENTLY":
        names, tail = draw(tables), ""  # one index, no CASCADE: PostgreSQL's rule
    if draw(st.booleans()):
        return f"DROP SCHEMA {exists}{draw(schemas)}{tail}"
    return f"DROP {kind} {exists}{names}{tail}"


@st.composite
def data_change(draw: st.DrawFn) -> str:
    table, column = draw(tables), draw(identifiers)
    kind = draw(st.integers(0, 4))
    if kind <= 1:
        count = draw(st.integers(1, 3))
        rows = ", ".join(f"({draw(values)}, {draw(values)})" for _ in range(count))
        if kind == 0:
            return f"INSERT INTO {table} ({column}, {draw(identifiers)}) VALUES {rows}"
        return f"INSERT INTO {table} VALUES {rows} ON CONFLICT DO NOTHING"
    if kind == 2:
        return f"UPDATE {table} SET {column} = {draw(values)} WHERE {column} IS NULL"
    if kind == 3:
        return f"UPDATE {table} SET {column} = DEFAULT"
    return f"DELETE FROM {table} WHERE {column} = {draw(values)}"


@st.composite
def dollar_quoted(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(("", "fn", "body", "_x1")))
    body = draw(_free_text.filter(lambda s: f"${tag}$" not in s and not s.endswith("$")))
    inner = f"BEGIN\n  -- {body.splitlines()[0] if body.splitlines() else ''}\n  RETURN NEW;\nEND;"
    if draw(st.booleans()):
        return f"DO ${tag}$ BEGIN PERFORM {_literal(body)}; END ${tag}$"
    return (
        f"CREATE OR REPLACE FUNCTION {draw(tables)}() RETURNS trigger LANGUAGE plpgsql AS "
        f"${tag}${inner}${tag}$"
    )


@st.composite
def other_statement(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 13))
    if kind == 0:
        return f"CREATE SCHEMA IF NOT EXISTS {draw(schemas)}"
    if kind == 1:
        return f"SET lock_timeout = {_literal(draw(st.sampled_from(('2s', '500ms', '0'))))}"
    fixed = (
        "SET LOCAL lock_timeout TO '5s'",
        "SET statement_timeout = 0",
        "RESET lock_timeout",
        "BEGIN",
        "COMMIT",
        "SELECT 1",
    )
    if kind < 2 + len(fixed):
        return fixed[kind - 2]
    table = draw(tables)
    if kind == 8:
        return f"CREATE TYPE {table} AS ENUM ({_literal(draw(_free_text))}, 'b')"
    if kind == 9:
        return f"ALTER TYPE {table} ADD VALUE IF NOT EXISTS {_literal(draw(_free_text))}"
    if kind == 10:
        return f"COMMENT ON TABLE {table} IS {_literal(draw(_free_text))}"
    if kind == 11:
        return f"CREATE VIEW {table} AS SELECT 1 AS {draw(identifiers)}"
    if kind == 12:
        return f"REINDEX INDEX CONCURRENTLY {table}"
    return f"VACUUM {table}"


statements = st.one_of(
    create_table(),
    create_index(),
    alter_table(),
    drop(),
    data_change(),
    dollar_quoted(),
    other_statement(),
)


@st.composite
def comments(draw: st.DrawFn) -> str:
    text = draw(_free_text.map(lambda s: " ".join(s.splitlines())))
    codes = ", ".join(draw(st.lists(st.sampled_from(_CODES), max_size=3)))
    return draw(
        st.sampled_from(
            (
                f"-- {text}\n",
                f"/* {text.replace('*', '')} */ ",
                f"-- schemakit: ignore[{codes}]\n",
                f"/* schemakit: ignore[{codes}] */\n",
                f"-- schemakit: ignroe[{codes}]\n",
            )
        )
    )


_SEPARATORS = (
    ";\n",
    ";\n\n",
    "; ",
    ";\n--> statement-breakpoint\n",
    "\n--> statement-breakpoint\n",
)
_DAMAGE = (
    ",",
    "(",
    ")",
    "'",
    '"',
    "$$",
    "$fn$",
    "/*",
    "*/",
    "--",
    ";",
    "\\",
    "E'\\",
    "\x00",
    "\ufeff",
    "é",
    "\r",
    "--> statement-breakpoint",
    "CREATE",
    "NOT VALID",
    "\u2028",
)


@dataclass(frozen=True)
class Generated:
    """A migration from the grammar, and whether it was damaged (else it must parse)."""

    text: str
    damaged: bool


@st.composite
def migrations(draw: st.DrawFn) -> Generated:
    """A migration of 1 to 8 statements, with comments, separators, maybe CRLF, maybe damage."""
    parts: list[str] = []
    for statement in draw(st.lists(statements, min_size=1, max_size=8)):
        if draw(st.integers(0, 3)) == 0:
            parts.append(draw(comments()))
        parts.append(statement)
        parts.append(draw(st.sampled_from(_SEPARATORS)))
    if draw(st.booleans()):
        parts[-1] = draw(st.sampled_from(("", "\n", ";")))  # the last statement may stand bare
    text = "".join(parts)
    if draw(st.integers(0, 3)) == 0:
        text = text.replace("\n", "\r\n")
    damaged = draw(st.integers(0, 2)) == 0
    for _ in range(draw(st.integers(1, 3)) if damaged else 0):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(_DAMAGE)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
    return Generated(text, damaged)


# --- mutations of real migrations ------------------------------------------------------------


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    """A real migration (or a generated one, for non-ASCII text) truncated or edited, at the
    character or the byte level (a byte edit may leave bytes that are not UTF-8)."""
    if draw(st.integers(0, 3)) == 0:
        data = draw(migrations()).text.encode()
    else:
        data = draw(st.sampled_from(REAL))[1]
    text = data.decode()
    kind = draw(
        st.sampled_from(
            (
                "truncate",
                "truncate-bytes",
                "insert",
                "insert-bytes",
                "delete",
                "repeat",
                "truncate-edit",
            )
        )
    )
    if kind in ("truncate", "truncate-edit"):
        text = text[: draw(st.integers(0, len(text)))]
        if kind == "truncate-edit":
            text += draw(st.sampled_from(_DAMAGE))
        return text.encode()
    if kind == "truncate-bytes":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "insert-bytes":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    at = draw(st.integers(0, len(text)))
    if kind == "insert":
        inserted = draw(st.one_of(st.sampled_from(_DAMAGE), _free_text))
        return (text[:at] + inserted + text[at:]).encode()
    end = draw(st.integers(at, min(len(text), at + 40)))
    if kind == "delete":
        return (text[:at] + text[end:]).encode()
    return (text[:end] + text[at:]).encode()  # repeat: text[at:end] twice


# --- the oracle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What linting one input gave: None findings when it was refused as not UTF-8."""

    findings: int | None
    syntax_errors: int = 0


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A folder outside any project (no schemakit.toml above it) for the input file."""
    with tempfile.TemporaryDirectory(prefix="schemakit-fuzz-") as folder:
        yield Path(folder)


MODES = ("file", "stdin", "drizzle")
"""How an input reaches the linter: a file, standard input, or the one migration of a
drizzle-kit folder (so the statement rules run as inside a transaction)."""
_JOURNAL = json.dumps({"entries": [{"idx": 0, "tag": "0000_fuzz", "when": 1}]})


def check_input(data: bytes, folder: Path, mode: str = "file") -> Outcome:
    """Lint ``data`` in ``folder`` in one of the :data:`MODES` and assert the linter's promises
    about it; an AssertionError or any other exception is a bug."""
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    path = folder / "fuzz.sql"
    try:
        if mode == "stdin":
            with contextlib.chdir(folder):
                result = lint_files([STDIN], stdin=io.BytesIO(data), stdin_name=str(path))
        elif mode == "drizzle":
            drizzle = folder / "drizzle"
            (drizzle / "meta").mkdir(parents=True, exist_ok=True)
            (drizzle / "meta" / "_journal.json").write_text(_JOURNAL)
            path = drizzle / "0000_fuzz.sql"
            path.write_bytes(data)
            result = lint_files([drizzle])
        else:
            path.write_bytes(data)
            result = lint_files([path])
    except MigrationError as exc:
        # only bytes that are not UTF-8 may be refused, and the error must say so
        if text is not None or isinstance(exc, SqlSyntaxError) or "not UTF-8" not in str(exc):
            raise
        return Outcome(None)
    assert text is not None, "bytes that are not UTF-8 were linted"
    lines = text.split("\n")
    syntax_errors = 0
    for finding in result.findings:
        location = finding.location
        assert location is not None, finding
        assert location.path == path, finding
        assert 1 <= location.line <= len(lines), finding
        assert 1 <= location.column <= len(lines[location.line - 1]) + 1, finding
        syntax_errors += finding.code == "SYN001"
    # PostgreSQL's parser is the oracle: the text parses exactly when there is no SYN001
    # (unless an ignore comment in the input itself suppressed it)
    if parses(text):
        assert syntax_errors == 0, text
    else:
        assert syntax_errors > 0 or result.suppressed > 0, text
    return Outcome(len(result.findings), syntax_errors)


def parses(text: str) -> bool:
    """Every piece of ``text`` between drizzle breakpoints parses (libpg_query, as pglast)."""
    if "\x00" in text:
        return False
    try:
        for chunk in text.split(BREAKPOINT):
            parser.parse_sql_json(chunk)
    except parser.ParseError:
        return False
    return True


_UTF8_BYTE = re.compile(r"not UTF-8 text at line \d+, column \d+ \(byte (\d+)\)")


# --- the properties --------------------------------------------------------------------------


@FUZZ_SETTINGS
@given(migration=migrations(), mode=st.sampled_from(MODES))
def test_generated_migrations_never_crash(migration: Generated, mode: str) -> None:
    with scratch() as folder:
        outcome = check_input(migration.text.encode(), folder, mode)
    if not migration.damaged:
        assert outcome.syntax_errors == 0, migration.text


@FUZZ_SETTINGS
@given(data=mutations(), mode=st.sampled_from(MODES))
def test_mutated_migrations_never_crash(data: bytes, mode: str) -> None:
    with scratch() as folder:
        check_input(data, folder, mode)


@FUZZ_SETTINGS
@given(
    real=st.sampled_from(REAL),
    fraction=st.floats(0, 1),
    bad=st.sampled_from((b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80")),
    mode=st.sampled_from(MODES),
)
def test_bytes_that_are_not_utf8_are_unreadable_input(
    real: tuple[str, bytes], fraction: float, bad: bytes, mode: str
) -> None:
    data = real[1]
    text = data.decode()
    at = len(text[: int(len(text) * fraction)].encode())  # between two characters
    broken = data[:at] + bad + data[at:]
    with scratch() as folder:
        assert check_input(broken, folder, mode) == Outcome(None)
        path = folder / "fuzz.sql"
        path.write_bytes(broken)
        with pytest.raises(MigrationError) as caught:
            lint_files([path])
    match = _UTF8_BYTE.search(str(caught.value))
    assert match is not None, caught.value
    assert int(match[1]) == at  # the byte that is wrong, not somewhere near it


def _run_cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(args)
    return code, err.getvalue()


@settings(FUZZ_SETTINGS, max_examples=max(EXAMPLES // 10, 1))
@given(data=mutations(), fmt=st.sampled_from(("text", "json", "sarif", "github")))
def test_cli_exits_2_only_for_unreadable_input(data: bytes, fmt: str) -> None:
    with scratch() as folder:
        path = folder / "fuzz.sql"
        path.write_bytes(data)
        code, err = _run_cli(
            ["lint", "--sql", str(path), "--format", fmt, "-o", str(folder / "report")]
        )
    assert "internal error" not in err, err
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert code == 2, err
    else:
        assert code in (0, 1), err


def test_the_corpus_is_there() -> None:
    """The mutations need real migrations to mutate: the examples and the rule fixtures."""
    names = [name for name, _ in REAL]
    assert any(name.startswith("examples/") for name in names)
    assert any(name.startswith("tests/rules/fixtures/") for name in names)
