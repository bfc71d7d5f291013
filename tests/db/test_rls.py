"""Row-level security at run time: sessions opened for a user see and write that user's rows
only, sync and async, also on a pooled connection another user's session used last; the
table's owner is bound too (FORCE). Sessions log in as a real, non-superuser member of the
service's role: a superuser bypasses every policy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemakit import commands
from schemakit.db import Database, PoolSettings, upsert
from schemakit.models import Session
from schemakit.testing import Cluster


class Base(DeclarativeBase):
    metadata = sa.MetaData(schema="notes")


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)


@dataclass
class Setup:
    cluster: Cluster
    dbname: str
    role: str
    login: str
    owner: str

    def url(self, user: str) -> str:
        return f"postgresql://{user}@/{self.dbname}?host={self.cluster.socket_dir}"

    def database(self) -> Database:
        """The service's pool as its login sees it, one connection: every session reuses it."""
        return Database(self.url(self.login), PoolSettings(max_connections=1))


@pytest.fixture
def setup(tmp_path: Path, pg_cluster: Cluster, pg_database: str) -> Iterator[Setup]:
    """notes.notes under row-level security by ``provision``, two users' rows in it, and a
    login role that is a member of the service's role."""
    found = Setup(
        pg_cluster,
        pg_database,
        f"{pg_database}_notes",
        f"{pg_database}_login",
        f"{pg_database}_owner",
    )
    (tmp_path / "schemakit.toml").write_text(
        f'[services.notes]\nschemas = ["notes"]\nrole = "{found.role}"\nrow-security = ["notes"]\n'
    )
    with pg_cluster.connect(pg_database) as conn:
        conn.autocommit = True
        conn.execute("CREATE SCHEMA notes")
        conn.execute(
            "CREATE TABLE notes.notes (id serial PRIMARY KEY, user_id text NOT NULL, body text)"
        )
        conn.execute(
            "INSERT INTO notes.notes (user_id, body) "
            "VALUES ('alice', 'a1'), ('alice', 'a2'), ('bob', 'b1')"
        )
    done = commands.provision(tmp_path, found.url("postgres"))
    assert any("FORCE ROW LEVEL SECURITY" in step.sql for step in done.steps)
    with pg_cluster.connect(pg_database) as conn:
        conn.autocommit = True
        conn.execute(f"CREATE ROLE {found.login} LOGIN IN ROLE {found.role}")
        conn.execute(f"CREATE ROLE {found.owner} NOLOGIN")
    try:
        yield found
    finally:
        with pg_cluster.connect(pg_database) as conn:
            conn.autocommit = True
            conn.execute("DROP SCHEMA notes CASCADE")
            for role in (found.login, found.owner, found.role):
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")


def bodies(session: Session) -> list[str]:
    return list(session.scalars(sa.select(Note.body).order_by(Note.body)))


def test_a_session_sees_its_users_rows_only_even_on_a_connection_another_user_used(
    setup: Setup,
) -> None:
    with setup.database() as database:
        with database.session() as session:
            assert session.scalar(sa.text("SELECT current_user")) == setup.login
            pid = session.scalar(sa.text("SELECT pg_backend_pid()"))
        with database.session(user_id="bob") as session:
            assert bodies(session) == ["b1"]
            assert session.scalar(sa.text("SELECT pg_backend_pid()")) == pid
        with database.session(user_id="alice") as session:
            assert session.scalar(sa.text("SELECT pg_backend_pid()")) == pid  # bob's connection
            assert bodies(session) == ["a1", "a2"]
            session.commit()  # a new transaction sets the user again
            assert bodies(session) == ["a1", "a2"]
            session.rollback()
            assert bodies(session) == ["a1", "a2"]
        with database.session() as session:
            # nothing left behind on the connection: no user, no rows (the policy sees NULL)
            assert session.scalar(sa.text("SELECT pg_backend_pid()")) == pid
            assert session.scalar(sa.text("SELECT current_setting('app.user_id', true)")) == ""
            assert bodies(session) == []
        with database.transaction(user_id="bob") as session:
            assert bodies(session) == ["b1"]


def test_a_savepoint_rolled_back_keeps_the_user(setup: Setup) -> None:
    with setup.database() as database, database.session(user_id="alice") as session:
        savepoint = session.begin_nested()  # the session's first transaction starts here
        assert bodies(session) == ["a1", "a2"]
        savepoint.rollback()
        assert bodies(session) == ["a1", "a2"]
        with session.begin_nested():
            assert bodies(session) == ["a1", "a2"]
        session.commit()
        assert bodies(session) == ["a1", "a2"]


def test_writes_with_another_users_id_are_refused(setup: Setup) -> None:
    with setup.database() as database:
        with database.transaction(user_id="alice") as session:
            session.add(Note(user_id="alice", body="a3"))
        with database.session(user_id="alice") as session:
            session.add(Note(user_id="bob", body="planted"))
            with pytest.raises(sa.exc.ProgrammingError, match="row-level security policy"):
                session.flush()
        with database.session(user_id="alice") as session:
            mine = session.scalars(sa.select(Note).where(Note.body == "a1")).one()
            mine.user_id = "bob"  # handing a row to another user is a write as bob
            with pytest.raises(sa.exc.ProgrammingError, match="row-level security policy"):
                session.flush()
        with database.transaction(user_id="alice") as session:
            # bob's rows are not there to change or delete
            moved = session.execute(sa.update(Note).where(Note.user_id == "bob").values(body="x"))
            gone = session.execute(sa.delete(Note).where(Note.body == "b1"))
            assert (moved.rowcount, gone.rowcount) == (0, 0)
        with database.session() as session:
            session.add(Note(user_id="bob", body="anonymous"))  # no user: no writes either
            with pytest.raises(sa.exc.ProgrammingError, match="row-level security policy"):
                session.flush()
        with database.session(user_id="bob") as session:
            assert bodies(session) == ["b1"]


@pytest.mark.parametrize("method", ["values", "copy"])
def test_upsert_is_bound_by_the_policy_too(setup: Setup, method: str) -> None:
    """Both paths (COPY goes to a temporary table first: COPY into the table itself is
    refused under row-level security)."""
    with setup.database() as database:
        with database.session() as session:
            ids = dict(session.execute(sa.text("SELECT body, id FROM notes.notes")).all())
        assert ids == {}  # the session without a user sees nothing, ids come from a superuser
        with setup.cluster.connect(setup.dbname) as conn:
            ids = dict(conn.execute("SELECT body, id FROM notes.notes").fetchall())
        with database.transaction(user_id="alice") as session:
            mine = [{"id": ids["a1"], "user_id": "alice", "body": "a1!"}]
            new = [{"id": 1000, "user_id": "alice", "body": "a9"}]
            result = upsert(session, Note, mine + new, conflict=["id"], method=method)
            assert (result.inserted, result.updated) == (1, 1)
        for rows in (
            [{"id": 1001, "user_id": "bob", "body": "planted"}],  # a new row for bob
            [{"id": ids["b1"], "user_id": "alice", "body": "taken"}],  # bob's row, taken over
        ):
            refused = pytest.raises(sa.exc.ProgrammingError, match="row-level security")
            with database.session(user_id="alice") as session, refused:
                upsert(session, Note, rows, conflict=["id"], method=method)
        with database.session(user_id="alice") as session:
            assert bodies(session) == ["a1!", "a2", "a9"]
        with database.session(user_id="bob") as session:
            assert bodies(session) == ["b1"]


def test_the_user_id_is_a_bound_parameter_not_sql(setup: Setup) -> None:
    hostile = "alice' OR true OR '"
    with setup.database() as database, database.session(user_id=hostile) as session:
        assert bodies(session) == []
        assert session.scalar(sa.text("SELECT current_setting('app.user_id')")) == hostile
    with pytest.raises(ValueError, match="user_id is empty"):
        Database(setup.url(setup.login)).session(user_id="").__enter__()


def test_async_sessions_see_their_users_rows_only(setup: Setup) -> None:
    async def main() -> None:
        database = setup.database()
        try:
            async with database.async_session(user_id="bob") as session:
                pid = await session.scalar(sa.text("SELECT pg_backend_pid()"))
                assert list(await session.scalars(sa.select(Note.body))) == ["b1"]
            async with database.async_session(user_id="alice") as session:
                assert await session.scalar(sa.text("SELECT pg_backend_pid()")) == pid
                rows = await session.scalars(sa.select(Note.body).order_by(Note.body))
                assert list(rows) == ["a1", "a2"]
                await session.commit()
                assert len(list(await session.scalars(sa.select(Note.body)))) == 2
            async with database.async_session() as session:
                assert await session.scalar(sa.text("SELECT pg_backend_pid()")) == pid
                assert list(await session.scalars(sa.select(Note.body))) == []
            async with database.async_transaction(user_id="alice") as session:
                session.add(Note(user_id="alice", body="a3"))
            async with database.async_session(user_id="alice") as session:
                session.add(Note(user_id="bob", body="planted"))
                with pytest.raises(sa.exc.ProgrammingError, match="row-level security policy"):
                    await session.flush()
            async with database.async_session(user_id="bob") as session:
                assert list(await session.scalars(sa.select(Note.body))) == ["b1"]
        finally:
            await database.aclose()

    asyncio.run(main())


def test_the_tables_owner_is_bound_too(setup: Setup) -> None:
    """FORCE: without it the owner would see every row, which the last step shows."""
    with setup.cluster.connect(setup.dbname) as conn:
        conn.autocommit = True
        conn.execute(f"ALTER TABLE notes.notes OWNER TO {setup.owner}")
        conn.execute(f"GRANT USAGE ON SCHEMA notes TO {setup.owner}")
        conn.execute(f"SET ROLE {setup.owner}")

        def seen(user: str | None) -> list[Any]:
            with conn.transaction():
                if user is not None:
                    conn.execute("SELECT set_config('app.user_id', %s, true)", (user,))
                return [r[0] for r in conn.execute("SELECT body FROM notes.notes ORDER BY 1")]

        assert seen(None) == []
        assert seen("bob") == ["b1"]
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT set_config('app.user_id', 'bob', true)")
            insert = "INSERT INTO notes.notes (user_id, body) VALUES ('alice', 'x')"
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(insert)
        conn.execute("RESET ROLE")
        conn.execute("ALTER TABLE notes.notes NO FORCE ROW LEVEL SECURITY")
        conn.execute(f"SET ROLE {setup.owner}")
        assert seen(None) == ["a1", "a2", "b1"]


def test_fastapi_dependencies_open_the_session_for_the_requests_user(setup: Setup) -> None:
    from fastapi import Depends, FastAPI, Header
    from fastapi.testclient import TestClient
    from sqlalchemy.ext.asyncio import AsyncSession

    from schemakit.db.fastapi import database_lifespan, sync_user_session, user_session

    async def current_user_id(x_user: str | None = Header(default=None)) -> str | None:
        return x_user  # stands in for the app's authentication

    def sync_current_user_id(x_user: str | None = Header(default=None)) -> str | None:
        return x_user

    user_db = Depends(user_session(current_user_id))
    sync_user_db = Depends(sync_user_session(sync_current_user_id))
    app = FastAPI(lifespan=database_lifespan(setup.url(setup.login), max_connections=1))

    @app.get("/notes")
    async def notes(session: AsyncSession = user_db) -> list[str]:
        return list(await session.scalars(sa.select(Note.body).order_by(Note.body)))

    @app.post("/notes")
    async def add(body: str, owner: str, session: AsyncSession = user_db) -> str:
        session.add(Note(user_id=owner, body=body))
        try:
            await session.commit()
        except sa.exc.ProgrammingError:
            return "refused"
        return "added"

    @app.get("/sync-notes")
    def sync_notes(session: Session = sync_user_db) -> list[str]:
        return bodies(session)

    with TestClient(app) as client:
        for path in ("/notes", "/sync-notes"):
            assert client.get(path, headers={"x-user": "bob"}).json() == ["b1"]
            assert client.get(path, headers={"x-user": "alice"}).json() == ["a1", "a2"]
            assert client.get(path).json() == []  # no user: no rows
        planted = client.post(
            "/notes", params={"body": "p", "owner": "bob"}, headers={"x-user": "alice"}
        )
        assert planted.json() == "refused"
        added = client.post(
            "/notes", params={"body": "b2", "owner": "bob"}, headers={"x-user": "bob"}
        )
        assert added.json() == "added"
        assert client.get("/notes", headers={"x-user": "bob"}).json() == ["b1", "b2"]


USER_IDS = st.lists(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1),
    min_size=1,
    max_size=4,
    unique=True,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(users=USER_IDS)
def test_any_user_id_sees_exactly_its_own_rows(setup: Setup, users: list[str]) -> None:
    """Quotes, backslashes, SQL, unicode: the id is data, compared as text, never parsed."""
    with setup.cluster.connect(setup.dbname) as conn:
        conn.execute("DELETE FROM notes.notes")
        for user in users:
            conn.execute("INSERT INTO notes.notes (user_id, body) VALUES (%s, %s)", (user, user))
    with setup.database() as database:
        for user in reversed(users):  # each on the connection the previous user left
            with database.session(user_id=user) as session:
                assert bodies(session) == [user]
