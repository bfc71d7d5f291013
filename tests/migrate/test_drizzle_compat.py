"""``schemakit migrate`` against drizzle-orm's own migrator, on the same drizzle-kit folder.

drizzle-orm 0.45.4 and the postgres-js driver are installed with npm into
``tests/migrate/node/`` (exact versions pinned in its package.json and package-lock.json;
node_modules is gitignored), once per session; the whole module is skipped when node or npm is
missing or the install fails. ``tests/migrate/node/migrate.mjs`` runs
``drizzle-orm/postgres-js/migrator``'s ``migrate(db, { migrationsFolder })`` over the cluster's
unix socket.

The same folder is applied by each tool to its own fresh database; the drizzle tracking rows
must be identical (id, hash, created_at) and so must ``pg_dump --schema-only`` (and
``--data-only``) with the ``schemakit`` schema excluded. The only normalisation is dropping
pg_dump's ``\\restrict`` / ``\\unrestrict`` lines, whose key is random per dump (PostgreSQL
15.14+, 16.10+, 17.6+); comments and blank lines are kept. Then each tool runs on the other's
database and must find nothing to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemakit.testing import Cluster, find_bindir

NODE_DIR = Path(__file__).parent / "node"
MIGRATE_MJS = NODE_DIR / "migrate.mjs"
SCHEMAKIT = str(Path(sys.executable).parent / "schemakit")
PINNED = {"drizzle-orm": "0.45.4", "postgres": "3.4.9"}

# A drizzle-kit folder as `drizzle-kit generate` writes it (statements end with
# `;--> statement-breakpoint`), three journal entries, everything in the service schema "shop":
# schema, enum, tables, a foreign key, indexes, then an added column, an enum value added
# inside the migration transaction, a view, a comment with non-ASCII text (the hash is of the
# UTF-8 bytes) and a row of data.
JOURNAL_WHEN = (1735689600000, 1735776000000, 1735862400000)
MIGRATIONS = {
    "0000_init": """
        CREATE SCHEMA "shop";
        --> statement-breakpoint
        CREATE TYPE "shop"."order_status" AS ENUM('new', 'paid', 'shipped');--> statement-breakpoint
        CREATE TABLE "shop"."customers" (
        \t"id" serial PRIMARY KEY NOT NULL,
        \t"email" text NOT NULL,
        \t"created_at" timestamp with time zone DEFAULT now() NOT NULL,
        \tCONSTRAINT "customers_email_unique" UNIQUE("email")
        );
        """,
    "0001_orders": """
        CREATE TABLE "shop"."orders" (
        \t"id" serial PRIMARY KEY NOT NULL,
        \t"customer_id" integer NOT NULL,
        \t"status" "shop"."order_status" DEFAULT 'new' NOT NULL,
        \t"total_cents" integer DEFAULT 0 NOT NULL
        );
        --> statement-breakpoint
        ALTER TABLE "shop"."orders" ADD CONSTRAINT "orders_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "shop"."customers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
        CREATE INDEX "orders_customer_id_idx" ON "shop"."orders" USING btree ("customer_id");--> statement-breakpoint
        CREATE UNIQUE INDEX "orders_customer_status_idx" ON "shop"."orders" USING btree ("customer_id","status") WHERE "shop"."orders"."status" = 'new';
        """,
    "0002_notes": """
        ALTER TYPE "shop"."order_status" ADD VALUE 'cancelled';--> statement-breakpoint
        ALTER TABLE "shop"."orders" ADD COLUMN "note" text;--> statement-breakpoint
        ALTER TABLE "shop"."orders" ADD CONSTRAINT "orders_total_check" CHECK ("shop"."orders"."total_cents" >= 0);--> statement-breakpoint
        CREATE VIEW "shop"."open_orders" AS (select "id", "customer_id" from "shop"."orders" where "shop"."orders"."status" = 'new');--> statement-breakpoint
        COMMENT ON TABLE "shop"."customers" IS 'Kunden: café, naïve; 顧客';--> statement-breakpoint
        INSERT INTO "shop"."customers" ("email", "created_at") VALUES ('first@example.com', '2025-01-03 00:00:00+00');
        """,
}


def _installed() -> bool:
    for name, version in PINNED.items():
        manifest = NODE_DIR / "node_modules" / name / "package.json"
        try:
            if json.loads(manifest.read_text())["version"] != version:
                return False
        except (OSError, ValueError, KeyError):
            return False
    return True


@pytest.fixture(scope="session")
def drizzle_migrator() -> Path:
    """tests/migrate/node/migrate.mjs, with drizzle-orm and postgres-js installed next to it."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run drizzle-orm's migrator (not on PATH)")
    if not _installed():
        command = [npm, "ci" if (NODE_DIR / "package-lock.json").is_file() else "install"]
        try:
            proc = subprocess.run(
                [*command, "--no-audit", "--no-fund", "--prefer-offline"],
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"`{' '.join(command)}` in {NODE_DIR} timed out after 300 s")
        if proc.returncode != 0 or not _installed():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            pytest.skip(
                f"`{' '.join(command)}` in {NODE_DIR} failed (exit {proc.returncode}); "
                f"cannot install drizzle-orm {PINNED['drizzle-orm']}:\n{tail}"
            )
    return MIGRATE_MJS


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())


def drizzle_folder(root: Path, migrations: dict[str, str] = MIGRATIONS) -> Path:
    """A drizzle-kit folder under ``root``, and a schemakit.toml whose service ``shop`` uses it."""
    folder = root / "drizzle"
    entries = []
    for idx, ((tag, body), when) in enumerate(zip(migrations.items(), JOURNAL_WHEN, strict=True)):
        _write(folder / f"{tag}.sql", textwrap.dedent(body).lstrip())
        entries.append({"idx": idx, "version": "7", "when": when, "tag": tag, "breakpoints": True})
    journal = {"version": "7", "dialect": "postgresql", "entries": entries}
    _write(folder / "meta" / "_journal.json", json.dumps(journal, indent=2))
    _write(root / "schemakit.toml", '[services.shop]\nschemas = ["shop"]\nmigrations = "drizzle"\n')
    return folder


@pytest.fixture
def two_databases(pg_cluster: Cluster) -> Iterator[tuple[str, str]]:
    stamp = f"{os.getpid()}_{time.monotonic_ns()}"
    names = (f"dz_drizzle_{stamp}", f"dz_schemakit_{stamp}")
    for name in names:
        pg_cluster.create_database(name)
    try:
        yield names
    finally:
        for name in names:
            pg_cluster.drop_database(name)


def url_of(cluster: Cluster, database: str) -> str:
    return f"postgresql://postgres@/{database}?host={cluster.socket_dir}"


def run_drizzle(migrator: Path, folder: Path, cluster: Cluster, database: str) -> None:
    proc = subprocess.run(
        ["node", str(migrator), str(folder), str(cluster.socket_dir), database, cluster.user],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, f"drizzle-orm migrator failed:\n{proc.stdout}\n{proc.stderr}"


def run_schemakit(
    config: Path, cluster: Cluster, database: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCHEMAKIT, *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": url_of(cluster, database)},
    )


def tracking_rows(cluster: Cluster, database: str) -> list[tuple[Any, ...]]:
    with cluster.connect(database) as conn:
        return [
            tuple(row)
            for row in conn.execute(
                "SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id"
            ).fetchall()
        ]


def dump(cluster: Cluster, database: str, what: str = "--schema-only") -> str:
    """pg_dump of everything but the schemakit schema, \\restrict lines dropped (random keys)."""
    proc = subprocess.run(
        [
            str(find_bindir() / "pg_dump"),
            what,
            "--exclude-schema=schemakit",
            "--no-sync",
            "-h",
            str(cluster.socket_dir),
            "-U",
            cluster.user,
            "-d",
            database,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert proc.returncode == 0, proc.stderr
    return "\n".join(
        line
        for line in proc.stdout.splitlines()
        if not line.startswith(("\\restrict ", "\\unrestrict "))
    )


def test_schemakit_and_drizzle_orm_produce_the_same_database(
    tmp_path: Path, pg_cluster: Cluster, two_databases: tuple[str, str], drizzle_migrator: Path
) -> None:
    folder = drizzle_folder(tmp_path)
    by_drizzle, by_schemakit = two_databases

    run_drizzle(drizzle_migrator, folder, pg_cluster, by_drizzle)
    done = run_schemakit(tmp_path, pg_cluster, by_schemakit, "migrate")
    assert done.returncode == 0, done.stderr
    assert "shop: applied 0000_init, 0001_orders, 0002_notes" in done.stdout

    # The tracking table: the same rows, and the hashes are sha256 of each file's bytes.
    rows = tracking_rows(pg_cluster, by_drizzle)
    assert rows == [
        (i + 1, hashlib.sha256((folder / f"{tag}.sql").read_bytes()).hexdigest(), when)
        for i, (tag, when) in enumerate(zip(MIGRATIONS, JOURNAL_WHEN, strict=True))
    ]
    assert tracking_rows(pg_cluster, by_schemakit) == rows

    schema = dump(pg_cluster, by_drizzle)
    assert "CREATE TYPE shop.order_status AS ENUM (\n    'new'," in schema  # it is a real dump
    assert "CREATE INDEX orders_customer_id_idx" in schema
    assert dump(pg_cluster, by_schemakit) == schema
    data = dump(pg_cluster, by_drizzle, "--data-only")
    assert dump(pg_cluster, by_schemakit, "--data-only") == data

    # schemakit on drizzle's database: everything applied, nothing to do, nothing changed.
    status = run_schemakit(tmp_path, pg_cluster, by_drizzle, "status", "--check")
    assert status.returncode == 0, status.stdout + status.stderr
    assert [line.split() for line in status.stdout.splitlines()] == [
        ["shop", "applied", tag] for tag in MIGRATIONS
    ]
    again = run_schemakit(tmp_path, pg_cluster, by_drizzle, "migrate")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "shop: up to date"
    assert tracking_rows(pg_cluster, by_drizzle) == rows
    assert dump(pg_cluster, by_drizzle) == schema
    assert dump(pg_cluster, by_drizzle, "--data-only") == data

    # drizzle's migrator on schemakit's database: nothing to do, nothing changed.
    run_drizzle(drizzle_migrator, folder, pg_cluster, by_schemakit)
    assert tracking_rows(pg_cluster, by_schemakit) == rows
    assert dump(pg_cluster, by_schemakit) == schema
    assert dump(pg_cluster, by_schemakit, "--data-only") == data


def test_crlf_files_hash_like_drizzle_orm(
    tmp_path: Path, pg_cluster: Cluster, two_databases: tuple[str, str], drizzle_migrator: Path
) -> None:
    """A CRLF file's checksum is sha256 of its bytes, as drizzle-orm's, not of LF-normalised text."""
    crlf = {tag: body.replace("\n", "\r\n") for tag, body in MIGRATIONS.items()}
    folder = drizzle_folder(tmp_path, crlf)
    for tag in MIGRATIONS:  # textwrap.dedent keeps the \r: the files really are CRLF
        assert b"\r\n" in (folder / f"{tag}.sql").read_bytes()
    by_drizzle, by_schemakit = two_databases
    run_drizzle(drizzle_migrator, folder, pg_cluster, by_drizzle)
    assert run_schemakit(tmp_path, pg_cluster, by_schemakit, "migrate").returncode == 0
    assert tracking_rows(pg_cluster, by_schemakit) == tracking_rows(pg_cluster, by_drizzle)
    status = run_schemakit(tmp_path, pg_cluster, by_drizzle, "status", "--check")
    assert status.returncode == 0, status.stdout  # it said "edited" while files were read as text
