"""Benchmark: schemakit's catalog loader against SQLAlchemy reflection on big databases.

Run with ``.venv/bin/python bench/catalog.py`` (``--help`` for options). For each size it builds
one database on a throwaway PostgreSQL cluster with N tables spread over ``--schemas`` schemas,
laid out as ``schemakit provision`` leaves them (see ``security_scripts``: per schema an owner
role that owns it all, a service role with row privileges on every table, a login, default
privileges, a trigger function and triggers, some column grants: what the SEC rules read), then
times, on that same database and connection pool:

* ``schemakit``: ``schemakit.catalog.from_database(conn)``, the full catalog (about half of its
  queries on a second connection sharing the first's snapshot);
* ``serial``: ``from_database(conn, parallel=False)``, the same catalog read on ``conn`` alone
  (what a call inside the caller's transaction does);
* ``get_multi``: a fresh ``sqlalchemy.inspect(engine)`` per repetition calling
  ``get_multi_columns / _pk_constraint / _foreign_keys / _indexes / _unique_constraints`` for every
  schema;
* ``reflect``: a fresh ``MetaData().reflect(engine, schema=s)`` for every schema.

Each figure is the median of the timed repetitions, after one untimed warm-up of each method
(so every backend has its catalog caches loaded; a MetaData.reflect that runs only once gets no
warm-up of its own, its connection is already warm from get_multi). Progress goes to stderr, the
table to stdout; the exit status is 1 when a 10,000-table run misses a target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schemakit.catalog import QUERIES, from_database
from schemakit.testing import Cluster, count_queries

TARGET_SECONDS = 1.0
TARGET_TABLES = 10_000
TARGET_GET_MULTI_RATIO = 3.0
TARGET_REFLECT_RATIO = 10.0
BATCH_TABLES = 1_000
"""Tables per batch (one simple-protocol round trip and one transaction each)."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def schema_names(schemas: int) -> list[str]:
    return [f"svc_{i:02d}" for i in range(schemas)]


def table_ddl(schema: str, number: int) -> str:
    """DDL for table ``number`` of ``schema``: six columns, a pk, one or two indexes, maybe FKs.

    Two tables in three get a foreign key to an earlier table of the same schema, one in five a
    second one; one in four gets a unique index and a trigger, one in ten a column grant.
    """
    name = f"t_{number:05d}"
    columns = [
        "id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
        "user_id text NOT NULL",
        "created_at timestamptz NOT NULL DEFAULT now()",
        "updated_at timestamptz NOT NULL DEFAULT now()",
        "is_active boolean NOT NULL DEFAULT true",
        "label varchar(200)",
    ]
    parts = []
    if number > 0 and number % 3 != 0:
        parent = f"t_{number // 2:05d}"
        columns.append(f"parent_id uuid REFERENCES {schema}.{parent} (id) ON DELETE CASCADE")
        parts.append(f"CREATE INDEX {name}_parent_id_idx ON {schema}.{name} (parent_id);")
    if number > 1 and number % 5 == 0:
        owner = f"t_{number - 1:05d}"
        columns.append(f"owner_id uuid REFERENCES {schema}.{owner} (id)")
    body = ",\n  ".join(columns)
    parts.insert(0, f"CREATE TABLE {schema}.{name} (\n  {body}\n);")
    parts.append(f"CREATE INDEX {name}_user_id_idx ON {schema}.{name} (user_id, created_at);")
    if number % 4 == 0:
        parts.append(f"CREATE UNIQUE INDEX {name}_label_key ON {schema}.{name} (label);")
        parts.append(
            f"CREATE TRIGGER {name}_touch BEFORE UPDATE ON {schema}.{name}"
            f" FOR EACH ROW EXECUTE FUNCTION {schema}.touch();"
        )
    if number % 10 == 0:
        parts.append(f"GRANT SELECT (id, label) ON {schema}.{name} TO bench_reader;")
    return "\n".join(parts)


def owner_role(schema: str) -> str:
    return f"bench_{schema}_owner"


def service_role(schema: str) -> str:
    return f"bench_{schema}"


def security_scripts(schemas: int) -> tuple[str, str]:
    """What runs before the tables (roles, schemas owned by their owner role, a trigger
    function each) and after them (the service role's grants, default privileges, column
    grants to a reader, a SECURITY DEFINER function).

    Every fourth table gets an ``updated_at`` trigger (see ``table_ddl``); roles are the
    cluster's, so each is created only when missing.
    """
    before = []
    after = ["RESET ROLE;"]
    for name in schema_names(schemas):
        owner, service = owner_role(name), service_role(name)
        for role, options in (
            (owner, "NOLOGIN"),
            (service, "NOLOGIN"),
            (f"{service}_login", "LOGIN"),
        ):
            before.append(
                f"DO $$ BEGIN CREATE ROLE {role} {options}; "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
            )
        before += [
            f"GRANT {service} TO {service}_login;",
            f"CREATE SCHEMA {name} AUTHORIZATION {owner};",
            f"CREATE FUNCTION {name}.touch() RETURNS trigger LANGUAGE plpgsql"
            " AS 'BEGIN NEW.updated_at = now(); RETURN NEW; END';",
            f"ALTER FUNCTION {name}.touch() OWNER TO {owner};",
        ]
        after += [
            f"GRANT USAGE ON SCHEMA {name} TO {service};",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {name} TO {service};",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {name}"
            f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {service};",
            f"CREATE FUNCTION {name}.user_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER"
            f" SET search_path = {name}, pg_temp AS 'SELECT count(*) FROM t_00000';",
            f"ALTER FUNCTION {name}.user_count() OWNER TO {owner};",
        ]
    before.insert(
        0,
        "DO $$ BEGIN CREATE ROLE bench_reader NOLOGIN;"
        " EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
    )
    return _transaction(before), _transaction(after)


def build_scripts(tables: int, schemas: int, batch: int = BATCH_TABLES) -> list[str]:
    """SQL scripts creating ``tables`` tables spread evenly over ``schemas`` schemas.

    Each script holds at most ``batch`` tables and runs as one transaction; a table's FK targets
    always sit in the same or an earlier script. Each schema's tables are created as its owner
    role (``SET ROLE``, which outlives the transaction until the next one); the first and last
    scripts are ``security_scripts``.
    """
    names = schema_names(schemas)
    per_schema = [tables // schemas + (1 if i < tables % schemas else 0) for i in range(schemas)]
    before, after = security_scripts(schemas)
    statements: list[str] = []
    chunks: list[str] = [before]
    count = 0
    for name, n in zip(names, per_schema, strict=True):
        statements.append(f"SET ROLE {owner_role(name)};")
        for number in range(n):
            statements.append(table_ddl(name, number))
            count += 1
            if count % batch == 0:
                chunks.append(_transaction(statements))
                statements = []
    if statements:
        chunks.append(_transaction(statements))
    chunks.append(after)
    return chunks


def _transaction(statements: list[str]) -> str:
    return "BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;\n"


def populate(cluster: Cluster, dbname: str, tables: int, schemas: int) -> float:
    """Create the database and its tables; returns the seconds it took."""
    start = time.perf_counter()
    cluster.create_database(dbname)
    scripts = build_scripts(tables, schemas)
    with cluster.connect(dbname) as conn:
        done = 0
        for script in scripts:
            # No parameters: psycopg sends the whole script in one simple-protocol round trip.
            conn.execute(script.encode())
            done += script.count("CREATE TABLE")
            _log(f"  {dbname}: {done}/{tables} tables ({time.perf_counter() - start:.1f} s)")
        conn.execute("ANALYZE")
    return time.perf_counter() - start


def timed_pair(
    first: Callable[[], object], second: Callable[[], object], repeat: int, warmup: int
) -> tuple[list[float], list[float]]:
    """``timed`` for two functions, interleaved so both see the same load."""
    firsts: list[float] = []
    seconds: list[float] = []
    for _ in range(warmup):
        first()
        second()
    for _ in range(repeat):
        for fn, times in ((first, firsts), (second, seconds)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return firsts, seconds


def timed(fn: Callable[[], object], repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


@dataclass
class Result:
    tables: int
    schemakit: list[float]
    serial: list[float]
    get_multi: list[float]
    reflect: list[float]
    queries: int

    @property
    def sk(self) -> float:
        return statistics.median(self.schemakit)

    @property
    def gm(self) -> float:
        return statistics.median(self.get_multi)

    @property
    def rf(self) -> float:
        return statistics.median(self.reflect)


def bench_size(
    cluster: Cluster, tables: int, schemas: int, repeat: int, reflect_repeat: int, warmup: int
) -> Result:
    dbname = f"bench_{tables}"
    _log(f"building {dbname}: {tables} tables in {schemas} schemas")
    seconds = populate(cluster, dbname, tables, schemas)
    _log(f"  built in {seconds:.1f} s")
    names = schema_names(schemas)

    with cluster.connect(dbname) as conn:
        catalog = from_database(conn)
        found = sum(1 for t in catalog.tables.values() if t.schema in names)
        if found != tables:
            raise SystemExit(f"{dbname}: the catalog holds {found} tables, expected {tables}")
        triggers = sum(1 for t in catalog.triggers.values() if t.schema in names)
        grants = sum(1 for g in catalog.grants if g.schema in names)
        _log(f"  the catalog: {triggers} triggers, {grants} grants, {len(catalog.roles)} roles")
        if not triggers or not grants or not catalog.default_grants:
            raise SystemExit(f"{dbname}: the catalog misses what the SEC rules read")
        if from_database(conn, parallel=False) != catalog:
            raise SystemExit(f"{dbname}: the catalog read on one connection differs")
        with count_queries(conn) as counter:
            from_database(conn)
        # count_queries sees the statements sent through cursors; QUERIES go in pipelines
        statements = counter.count + len(QUERIES)
        _log(f"  schemakit: {statements} statements ({len(QUERIES)} catalog queries)")
        _log(f"  timing schemakit x{repeat}, and on one connection")
        sk, serial = timed_pair(
            lambda: from_database(conn), lambda: from_database(conn, parallel=False), repeat, warmup
        )

    engine = sa.create_engine(cluster.url(dbname))
    try:

        def get_multi() -> dict[str, Any]:
            insp = sa.inspect(engine)
            out: dict[str, Any] = {}
            for schema in names:
                out[schema] = (
                    insp.get_multi_columns(schema=schema),
                    insp.get_multi_pk_constraint(schema=schema),
                    insp.get_multi_foreign_keys(schema=schema),
                    insp.get_multi_indexes(schema=schema),
                    insp.get_multi_unique_constraints(schema=schema),
                )
            return out

        def reflect() -> list[sa.MetaData]:
            out = []
            for schema in names:
                metadata = sa.MetaData()
                metadata.reflect(engine, schema=schema)
                out.append(metadata)
            return out

        reflected = get_multi()
        got = sum(len(parts[0]) for parts in reflected.values())
        if got != tables:
            raise SystemExit(f"{dbname}: get_multi_columns saw {got} tables, expected {tables}")
        _log(f"  timing Inspector.get_multi_* x{repeat}")
        gm = timed(get_multi, repeat, warmup)
        _log(f"  timing MetaData.reflect x{reflect_repeat}")
        rf = timed(reflect, reflect_repeat, warmup if reflect_repeat > 1 else 0)
    finally:
        engine.dispose()
    cluster.drop_database(dbname)
    return Result(tables, sk, serial, gm, rf, statements)


def _runs(times: list[float]) -> str:
    return f"{statistics.median(times):8.3f} (n={len(times)})"


def report(results: list[Result]) -> bool:
    header = (
        f"{'tables':>7}  {'schemakit s':>16}  {'serial s':>16}  {'get_multi s':>16}"
        f"  {'reflect s':>16}  {'gm/sk':>6}  {'rf/sk':>6}  {'stmts':>5}"
    )
    print()
    print("Medians, seconds (n = timed repetitions)")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.tables:>7}  {_runs(r.schemakit):>16}  {_runs(r.serial):>16}"
            f"  {_runs(r.get_multi):>16}  {_runs(r.reflect):>16}  {r.gm / r.sk:>5.1f}x  {r.rf / r.sk:>5.1f}x  {r.queries:>5}"
        )
    same = "the same at every size" if len({r.queries for r in results}) == 1 else "DIFFERS"
    print(
        f"stmts: statements one schemakit load sends ({len(QUERIES)} catalog queries in a"
        " pipeline on each connection, the transaction setup, one more when it leaves index"
        f" texts to pg_get_indexdef): {same}"
    )
    print()
    target = next((r for r in results if r.tables == TARGET_TABLES), None)
    if target is None:
        print(f"targets: not checked (no {TARGET_TABLES}-table run)")
        return True
    checks = [
        (
            f"{TARGET_TABLES} tables load in under {TARGET_SECONDS:g} s",
            target.sk < TARGET_SECONDS,
            f"{target.sk:.3f} s",
        ),
        (
            f"at least {TARGET_GET_MULTI_RATIO:g}x faster than Inspector.get_multi_*",
            target.gm / target.sk >= TARGET_GET_MULTI_RATIO,
            f"{target.gm / target.sk:.1f}x",
        ),
        (
            f"at least {TARGET_REFLECT_RATIO:g}x faster than MetaData.reflect",
            target.rf / target.sk >= TARGET_REFLECT_RATIO,
            f"{target.rf / target.sk:.1f}x",
        ),
    ]
    for label, ok, value in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {label}: {value}")
    if len(target.reflect) < len(target.schemakit):
        print(
            f"  note: MetaData.reflect ran {len(target.reflect)} time(s) at {TARGET_TABLES} tables"
            f" (--reflect-repeat), schemakit and get_multi {len(target.schemakit)}"
        )
    return all(ok for _, ok, _ in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--tables",
        default="2000,10000",
        help="comma-separated table counts, one database each (default: 2000,10000)",
    )
    parser.add_argument("--schemas", type=int, default=10, help="schemas per database")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per method")
    parser.add_argument(
        "--reflect-repeat",
        type=int,
        default=None,
        help="timed repetitions of MetaData.reflect (default: --repeat, but 1 from 5000 tables)",
    )
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs before timing")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.tables.split(",") if s.strip()]

    # Any SQLAlchemy warning would mean reflection missed something: make it fail loudly.
    warnings.simplefilter("error", sa.exc.SAWarning)
    results = []
    with Cluster() as cluster:
        for tables in sizes:
            reflect_repeat = args.reflect_repeat
            if reflect_repeat is None:
                reflect_repeat = args.repeat if tables < 5000 else 1
            results.append(
                bench_size(cluster, tables, args.schemas, args.repeat, reflect_repeat, args.warmup)
            )
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
