"""Big migrations in bounded memory: the text is parsed piece by piece and the data
statements' trees are not kept; the transaction goes to the server in several messages. Both
must change nothing but memory: the same statements, the same failures, the same ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemakit.migrate import _apply, _pieces
from schemakit.sql import _stream, split_statements
from schemakit.testing import Cluster
from tests.migrate._cli import sk
from tests.migrate.test_runner import ledger, url_of, write
from tests.migrate.test_runner import platform as platform  # the fixture

# Statements whose text holds ";\n" where no statement ends: the places a cut must not go.
TRICKY = [
    "INSERT INTO t VALUES (1, 'a;\nb');",
    "SELECT 1 -- a comment;\n+ 1;",
    "SELECT 2; -- trailing;\n",
    "/* a block;\n comment */ SELECT 3;",
    "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$;",
    "CREATE FUNCTION g() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;",
    'CREATE TABLE "odd;\nname" (id int);',
    "UPDATE t SET name = E'it''s;\\n' WHERE id = 1;",
    "INSERT INTO t VALUES (2, 'é;\nü');",
    "DELETE FROM t WHERE id = 3;;",
]


def _shape(statements: list[Any]) -> list[tuple[Any, ...]]:
    return [(s.text, s.line, s.end_line, s.column, s.index, s.kind) for s in statements]


def _strip(node: Any) -> Any:
    """A tree without its locations (offsets into what was parsed, piece or file)."""
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if not k.endswith("location")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TRICKY), min_size=1, max_size=40), st.integers(8, 200))
def test_pieces_split_exactly_as_the_whole_text(parts: list[str], piece: int) -> None:
    text = "\n".join(parts) + "\n"
    whole = split_statements(text)
    saved = _stream._PIECE
    _stream._PIECE = piece
    try:
        pieces = split_statements(text)
    finally:
        _stream._PIECE = saved
    assert _shape(pieces) == _shape(whole)
    for got, want in zip(pieces, whole, strict=True):
        assert _strip(got.node) == _strip(want.node)
        if len(text) > piece and got.kind in ("InsertStmt", "UpdateStmt", "SelectStmt"):
            assert got.tree is None  # parsed again when asked, not kept


def test_a_syntax_error_in_a_big_text_is_found_at_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_stream, "_PIECE", 64)
    text = "".join(f"INSERT INTO t VALUES ({i});\n" for i in range(50))
    text += "INSERT INTO t VALUES (1;\n" + "SELECT 1;\n" * 20
    with pytest.raises(_stream.SqlSyntaxError) as caught:
        split_statements(text, Path("big.sql"))
    assert caught.value.line == 51


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of 4 KB: a migration of a few thousand statements goes in several of each."""
    monkeypatch.setattr(_stream, "_PIECE", 4096)
    monkeypatch.setattr(_pieces, "PIECE_BYTES", 4096)
    monkeypatch.setattr(_apply, "PIECE_BYTES", 4096)


def test_a_big_migration_goes_in_pieces_and_fails_as_one_transaction(
    platform: Path, pg_cluster: Cluster, pg_database: str, pg_conn: Any, small_pieces: None
) -> None:
    url = url_of(pg_cluster, pg_database)
    assert sk(platform, url, "migrate", "app").returncode == 0
    rows = [f"INSERT INTO app.users VALUES ({i}, 'user {i}');\n" for i in range(2, 2002)]
    rows[1500] = "INSERT INTO app.users VALUES (1, 'a duplicate of the first user');\n"
    big = write(
        platform / "app" / "0003_big.sql",
        "CREATE SEQUENCE app.runs;\nSELECT nextval('app.runs');\n" + "".join(rows),
    )
    assert len(big.read_text()) > 16 * 4096
    failed = sk(platform, url, "migrate", "app")
    assert failed.returncode == 2
    assert "0003_big.sql:1503" in failed.stderr
    assert "duplicate key value" in failed.stderr
    assert "the migration was rolled back" in failed.stderr
    assert pg_conn.execute("SELECT count(*) FROM app.users").fetchone()[0] == 1
    assert pg_conn.execute("SELECT to_regclass('app.runs')").fetchone()[0] is None
    assert ("app", "0003_big") not in ledger(pg_conn)
    rows[1500] = "INSERT INTO app.users VALUES (1502, 'user 1502');\n"
    big.write_text("CREATE SEQUENCE app.runs;\nSELECT nextval('app.runs');\n" + "".join(rows))
    done = sk(platform, url, "migrate", "app")
    assert done.returncode == 0, done.stderr
    assert pg_conn.execute("SELECT count(*) FROM app.users").fetchone()[0] == 2001
    assert pg_conn.execute("SELECT last_value FROM app.runs").fetchone()[0] == 1  # ran once
    assert ("app", "0003_big") in ledger(pg_conn)


def test_messages_cut_between_statements(small_pieces: None, tmp_path: Path) -> None:
    from schemakit.migrate import read_sql_file

    path = tmp_path / "0001.sql"
    path.write_text("".join(f"SELECT {i};\n" for i in range(3000)))
    file = read_sql_file(path, "app")
    sent = list(_pieces.messages(b"BEGIN", file, b"COMMIT"))
    assert len(sent) > 3
    assert all(len(m) <= 4096 + 64 for m in sent)
    joined = b";\n".join(sent).split(b";\n")
    assert joined == [b"BEGIN", *(f"SELECT {i}".encode() for i in range(3000)), b"COMMIT"]
