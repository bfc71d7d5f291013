"""Benchmark: ``schemakit migrate`` against drizzle-orm's migrator and ``psql -1 -f``.

Run with ``.venv/bin/python bench/migrate.py`` (``--help`` for options). It generates
``--migrations`` (1,000) small migrations, about 1.2 statements each (every fifth creates a
table with an index; the others add a column, index it, insert a row, set its default), both as
a drizzle-kit folder (meta/_journal.json + ``<tag>.sql`` split on ``--> statement-breakpoint``)
and as a plain SQL folder of the same statements, then in one throwaway cluster times, each
repetition on a fresh database:

* ``schemakit migrate`` on the drizzle folder, and on the plain SQL folder, run as a
  subprocess through the installed CLI (``.venv/bin/schemakit``) so interpreter start-up and
  imports count, as the other tools' process start does;
* ``psql -X -q -1 -v ON_ERROR_STOP=1 -f`` of the same SQL concatenated: the floor (no ledger,
  one transaction, no parsing on the client);
* drizzle-orm's own migrator (``tests/migrate/node/migrate.mjs``: drizzle-orm 0.45.4 +
  postgres-js, installed with ``npm ci`` when missing), when node and npm are present;
* the no-op: ``schemakit migrate`` again on the database it just migrated (1,000 applied).

Methods run interleaved, repetition by repetition, so drift hits all alike; each figure is the
median of ``--repeat`` (3). Every run is checked afterwards (tables, ledger and tracking rows).
The table goes to stdout, progress to stderr; the exit status is 1 when a target fails.
Targets: schemakit (drizzle folder) <= 1.0x drizzle-orm's migrator; the no-op <= 0.4 s. The
cluster runs with fsync and synchronous_commit off (schemakit.testing.Cluster), which favours
one-transaction-per-migration runners less than a production server would penalise them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _profile import table_lines
from schemakit.testing import Cluster, find_bindir

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tests" / "migrate" / "node"
MIGRATE_MJS = NODE_DIR / "migrate.mjs"
PINNED = {"drizzle-orm": "0.45.4", "postgres": "3.4.9"}
BIN = Path(sys.executable).parent
SCHEMAKIT = BIN / "schemakit"
BREAKPOINT = "--> statement-breakpoint"
WHEN0 = 1_735_689_600_000
ALEMBIC_RATIO_TARGET = 1.1
NOOP_TARGET = 0.4
DRIZZLE_RATIO_TARGET = 1.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the migrations -------------------------------------------------------------------------


def statements_of(i: int) -> list[str]:
    """Migration ``i``: every fifth creates a table and its index, the next four use it."""
    t = f"bench.t{i // 5:04d}"
    base = i - i % 5
    kind = i % 5
    if kind == 0:
        first = ['CREATE SCHEMA "bench"'] if i == 0 else []
        return [
            *first,
            f'CREATE TABLE {t} ("id" bigint PRIMARY KEY NOT NULL, "name" text NOT NULL, '
            f'"created_at" timestamp with time zone DEFAULT now() NOT NULL)',
            f'CREATE INDEX "t{i // 5:04d}_name_idx" ON {t} USING btree ("name")',
        ]
    column = f'"c{base + 1:04d}"'
    if kind == 1:
        return [f"ALTER TABLE {t} ADD COLUMN {column} integer"]
    if kind == 2:
        return [f'CREATE INDEX "t{i // 5:04d}_c_idx" ON {t} USING btree ({column})']
    if kind == 3:
        return [f'INSERT INTO {t} ("id", "name", {column}) VALUES ({i}, \'row {i}\', {i})']
    return [f"ALTER TABLE {t} ALTER COLUMN {column} SET DEFAULT {i}"]


def generate(root: Path, count: int) -> tuple[Path, Path, Path, int]:
    """(drizzle config dir, plain config dir, concatenated SQL file, statement count)."""
    drizzle_dir, plain_dir = root / "drizzle_platform", root / "plain_platform"
    drizzle, plain = drizzle_dir / "migrations", plain_dir / "migrations"
    (drizzle / "meta").mkdir(parents=True)
    plain.mkdir(parents=True)
    entries, everything, total = [], [], 0
    for i in range(count):
        statements = statements_of(i)
        total += len(statements)
        tag = f"{i:04d}_step_{i}"
        (drizzle / f"{tag}.sql").write_text(f";{BREAKPOINT}\n".join(statements) + ";\n")
        sql = ";\n".join(statements) + ";\n"
        (plain / f"{tag}.sql").write_text(sql)
        everything.append(sql)
        entries.append(
            {"idx": i, "version": "7", "when": WHEN0 + i * 1000, "tag": tag, "breakpoints": True}
        )
    (drizzle / "meta" / "_journal.json").write_text(
        json.dumps({"version": "7", "dialect": "postgresql", "entries": entries}, indent=2)
    )
    config = '[services.bench]\nschemas = ["bench"]\nmigrations = "migrations"\n'
    for folder in (drizzle_dir, plain_dir):
        (folder / "schemakit.toml").write_text(config)
    concatenated = root / "all.sql"
    concatenated.write_text("".join(everything))
    return drizzle_dir, plain_dir, concatenated, total


ALEMBIC_ENV = """
from alembic import context

connection_url = context.config.get_main_option("sqlalchemy.url")


def run() -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(connection_url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql('CREATE SCHEMA IF NOT EXISTS "bench"')
        connection.commit()
        context.configure(
            connection=connection,
            version_table_schema="bench",
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
"""


def generate_alembic(root: Path, count: int) -> Path:
    """The same migrations as Alembic revisions (op.execute per statement); the folder also
    has an env.py, so Alembic's own command.upgrade can run it."""
    platform = root / "alembic_platform"
    versions = platform / "alembic" / "versions"
    versions.mkdir(parents=True)
    previous = None
    for i in range(count):
        revision = f"r{i:04d}"
        # Alembic's env creates the schema first (its version table lives there).
        statements = [
            st.replace('CREATE SCHEMA "bench"', 'CREATE SCHEMA IF NOT EXISTS "bench"')
            for st in statements_of(i)
        ]
        body = "\n".join(f"    op.execute({statement!r})" for statement in statements)
        (versions / f"{revision}_step.py").write_text(
            f"revision = {revision!r}\ndown_revision = {previous!r}\n"
            "branch_labels = None\ndepends_on = None\n\nfrom alembic import op\n\n\n"
            f"def upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n"
        )
        previous = revision
    (platform / "alembic" / "env.py").write_text(ALEMBIC_ENV)
    (platform / "schemakit.toml").write_text(
        '[services.bench]\nschemas = ["bench"]\nmigrations = "alembic"\n'
    )
    return platform


ALEMBIC_OWN = (
    "import sys\n"
    "from alembic import command\n"
    "from alembic.config import Config\n"
    "cfg = Config()\n"
    "cfg.set_main_option('script_location', sys.argv[1])\n"
    "cfg.set_main_option('sqlalchemy.url', sys.argv[2])\n"
    "command.upgrade(cfg, 'head')\n"
)


# --- the tools ------------------------------------------------------------------------------


def node_ready() -> str | None:
    """None when drizzle-orm's migrator can run, else why not."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node/npm not on PATH"

    def installed() -> bool:
        try:
            return all(
                json.loads((NODE_DIR / "node_modules" / n / "package.json").read_text())["version"]
                == v
                for n, v in PINNED.items()
            )
        except (OSError, ValueError, KeyError):
            return False

    if not installed():
        _log(f"npm ci in {NODE_DIR} ...")
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0 or not installed():
            return f"npm ci failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    return None


def _cpu_server(pid: int) -> float:
    """CPU seconds of the postmaster and its reaped children (the backends that have exited)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _cpu_clients() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Wall time of a subprocess, and CPU time of it plus the server backends it used.

    Wall time is what the targets judge; CPU time (client process + PostgreSQL backends, read
    from /proc of the postmaster after the backend exits) barely moves when other work
    competes for the machine, so it shows the real cost when wall times are noisy.
    """

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid

    def cpu(self) -> float:
        server = 0.0
        if self.server_pid is not None:
            try:
                server = _cpu_server(self.server_pid)
            except (OSError, ValueError, IndexError):
                self.server_pid = None
        return _cpu_clients() + server

    def run(self, cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
        cpu = self.cpu()
        wall = _run(cmd, env)
        time.sleep(0.05)  # let the postmaster reap the backend so its CPU is counted
        return wall, self.cpu() - cpu


def _run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def url_of(cluster: Cluster, database: str) -> str:
    return f"postgresql://postgres@/{database}?host={cluster.socket_dir}"


def schemakit_cmd(config: Path) -> list[str]:
    return [str(SCHEMAKIT), "migrate", "--config", str(config)]


def schemakit_env(cluster: Cluster, database: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url_of(cluster, database)}


# --- checks ---------------------------------------------------------------------------------


def check(cluster: Cluster, database: str, count: int, *, ledger: bool, drizzle: bool) -> None:
    tables = -(-count // 5)
    with cluster.connect(database) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'bench' "
            "AND tablename <> 'alembic_version'"
        ).fetchone()[0]
        assert found == tables, (database, found, tables)
        if ledger:
            from schemakit.migrate import LEDGER

            rows = conn.execute(f"SELECT count(*) FROM {LEDGER}").fetchone()[0]
            assert rows == count, (database, "ledger", rows)
        if drizzle:
            rows = conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()[0]
            assert rows == count, (database, "drizzle", rows)


# --- profiling of the no-op -----------------------------------------------------------------


def import_profile(config: Path, url: str, top: int) -> list[str]:
    """The heaviest imports (cumulative) of a real no-op ``schemakit migrate``, from
    ``-X importtime`` (what it imports, no more: a module it does not load is not listed)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "schemakit", "migrate", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        rows.append((int(cumulative_us), int(self_us), name.rstrip()))
    depth = min(len(name) - len(name.lstrip()) for _, _, name in rows)
    total = sum(c for c, _, name in rows if len(name) - len(name.lstrip()) == depth)
    rows.sort(reverse=True)
    out = [f"  all imports of the no-op: {total / 1e6:.3f} s (cumulative, -X importtime)"]
    out += [
        f"  {c / 1e3:8.1f} ms cum {s / 1e3:7.1f} ms self  {n.strip()}" for c, s, n in rows[:top]
    ]
    return out


def noop_profile(config: Path, url: str, top: int) -> list[str]:
    """cProfile of one no-op migrate, in process (imports already done)."""
    from schemakit import commands

    commands.migrate(config, url)  # the imports, outside the profile
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    commands.migrate(config, url)
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    lines = [f"  in-process no-op (imports done): {elapsed:.3f} s; cProfile, by cumulative time:"]
    return lines + table_lines(stats, top)


def apply_profile(config: Path, cluster: Cluster, database: str, top: int) -> list[str]:
    """cProfile of one in-process schemakit migrate on a fresh database, by own time."""
    from schemakit import commands

    cluster.create_database(database)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    commands.migrate(config, url_of(cluster, database))
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler).sort_stats("tottime")
    waits = sum(
        calls
        for (file, _, name), (_, calls, *_rest) in stats.stats.items()  # type: ignore[attr-defined]
        if name == "wait" and file.endswith("psycopg/connection.py")
    )
    lines = [
        f"  in-process apply (imports done): {elapsed:.3f} s, {waits:,} round trips to the "
        "server (psycopg Connection.wait calls); cProfile, by own time:"
    ]
    return lines + table_lines(stats, top)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--migrations", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile-top", type=int, default=20)
    parser.add_argument(
        "--profile", action="store_true", help="print the breakdowns even when targets pass"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    psql = find_bindir() / "psql"
    why_no_node = node_ready()
    work = Path(tempfile.mkdtemp(prefix="schemakit-bench-migrate-"))
    try:
        drizzle_cfg, plain_cfg, concatenated, statements = generate(work, args.migrations)
        _log(f"{args.migrations:,} migrations, {statements:,} statements, in {work}")
        with Cluster() as cluster:
            return run(
                args, cluster, psql, drizzle_cfg, plain_cfg, concatenated, statements, why_no_node
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(
    args: argparse.Namespace,
    cluster: Cluster,
    psql: Path,
    drizzle_cfg: Path,
    plain_cfg: Path,
    concatenated: Path,
    statements: int,
    why_no_node: str | None,
) -> int:
    n = args.migrations
    process = getattr(cluster, "_process", None)
    meter = Meter(process.pid if process is not None else None)
    counter = iter(range(1_000_000))
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    load_before = os.getloadavg()

    sk_drizzle = "schemakit migrate (drizzle folder)"
    sk_plain = "schemakit migrate (plain SQL folder)"
    psql_label = "psql -1 -f (concatenated SQL)"
    dz_label = "drizzle-orm migrator (node)"
    noop_label = "schemakit migrate no-op (all applied)"
    sk_alembic = "schemakit Alembic adapter"
    own_alembic = "Alembic's own command.upgrade"
    alembic_cfg = generate_alembic(drizzle_cfg.parent, n)
    psql_cmd = [str(psql), "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-h", str(cluster.socket_dir)]
    psql_cmd += ["-U", cluster.user, "-f", str(concatenated), "-d"]
    node_cmd = ["node", str(MIGRATE_MJS), str(drizzle_cfg / "migrations"), str(cluster.socket_dir)]

    def record(label: str, sample: tuple[float, float]) -> None:
        wall.setdefault(label, []).append(sample[0])
        cpu.setdefault(label, []).append(sample[1])

    def schemakit_drizzle(db: str) -> None:
        record(sk_drizzle, meter.run(schemakit_cmd(drizzle_cfg), schemakit_env(cluster, db)))
        check(cluster, db, n, ledger=True, drizzle=True)
        record(noop_label, meter.run(schemakit_cmd(drizzle_cfg), schemakit_env(cluster, db)))

    def schemakit_plain(db: str) -> None:
        record(sk_plain, meter.run(schemakit_cmd(plain_cfg), schemakit_env(cluster, db)))
        check(cluster, db, n, ledger=True, drizzle=False)

    def psql_once(db: str) -> None:
        record(psql_label, meter.run([*psql_cmd, db]))
        check(cluster, db, n, ledger=False, drizzle=False)

    def drizzle_orm(db: str) -> None:
        record(dz_label, meter.run([*node_cmd, db, cluster.user]))
        check(cluster, db, n, ledger=False, drizzle=True)

    def schemakit_alembic(db: str) -> None:
        record(sk_alembic, meter.run(schemakit_cmd(alembic_cfg), schemakit_env(cluster, db)))
        check(cluster, db, n, ledger=True, drizzle=False)

    def alembic_own(db: str) -> None:
        sa_url = f"postgresql+psycopg://{cluster.user}@/{db}?host={cluster.socket_dir}"
        record(
            own_alembic,
            meter.run([sys.executable, "-c", ALEMBIC_OWN, str(alembic_cfg / "alembic"), sa_url]),
        )

    methods = [schemakit_drizzle, schemakit_plain, psql_once, schemakit_alembic, alembic_own]
    if why_no_node is None:
        methods.append(drizzle_orm)
    noop_db = ""
    for repetition in range(args.repeat):
        _log(f"repetition {repetition + 1}/{args.repeat} ...")
        # rotate the order, so no method always runs first (or right after another)
        shift = repetition % len(methods)
        for method in methods[shift:] + methods[:shift]:
            database = f"bench_{next(counter)}"
            cluster.create_database(database)
            method(database)
            if method is schemakit_drizzle:
                noop_db = database

    import_samples = [
        _run([sys.executable, "-c", "import schemakit.cli"]) for _ in range(max(3, args.repeat))
    ]
    python_samples = [_run([sys.executable, "-c", "pass"]) for _ in range(max(3, args.repeat))]
    load_after = os.getloadavg()

    medians = {label: statistics.median(values) for label, values in wall.items()}
    cpu_medians = {label: statistics.median(values) for label, values in cpu.items()}
    floor = medians[psql_label]
    print(
        f"\nschemakit migrate benchmark: {n:,} migrations, {statements:,} statements; "
        f"median of {args.repeat}, each on a fresh database"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after (wall times are noisy when it exceeds the CPU count)"
    )
    print(f"{'method':<40} {'wall':>8} {'per migr.':>10} {'vs psql':>8} {'CPU client+server':>18}")
    for label in (sk_drizzle, sk_plain, psql_label, dz_label, noop_label, sk_alembic, own_alembic):
        if label not in medians:
            print(f"{label:<40} skipped: {why_no_node}")
            continue
        m = medians[label]
        print(
            f"{label:<40} {m:>7.3f}s {m / n * 1e3:>7.3f} ms {m / floor:>7.2f}x "
            f"{cpu_medians[label]:>17.3f}s"
        )
    import_label = 'python -c "import schemakit.cli"'
    print(
        f"{import_label:<40} {statistics.median(import_samples):>7.3f}s"
        f"   (python -c pass: {statistics.median(python_samples):.3f} s)"
    )

    print(f"\n{'check':<52} {'value':>9} {'target':>9}  verdict")
    failed = ratio_failed = False
    if dz_label in medians:
        ratio = medians[sk_drizzle] / medians[dz_label]
        ratio_failed = ratio > DRIZZLE_RATIO_TARGET
        failed |= ratio_failed
        print(
            f"{'schemakit (drizzle folder) / drizzle-orm migrator':<52} {ratio:>8.2f}x "
            f"{'<= ' + format(DRIZZLE_RATIO_TARGET, '.1f') + 'x':>9}  "
            f"{'FAIL' if ratio_failed else 'PASS'}"
        )
        cpu_ratio = cpu_medians[sk_drizzle] / cpu_medians[dz_label]
        print(f"{'  (the same ratio in CPU time, for information)':<52} {cpu_ratio:>8.2f}x")
    else:
        print(f"{'schemakit (drizzle folder) / drizzle-orm migrator':<52} skipped: {why_no_node}")
    alembic_ratio = medians[sk_alembic] / medians[own_alembic]
    alembic_failed = alembic_ratio > ALEMBIC_RATIO_TARGET
    failed |= alembic_failed
    print(
        f"{'schemakit Alembic adapter / Alembic command.upgrade':<52} {alembic_ratio:>8.2f}x "
        f"{'<= ' + format(ALEMBIC_RATIO_TARGET, '.1f') + 'x':>9}  "
        f"{'FAIL' if alembic_failed else 'PASS'}"
    )
    noop = medians[noop_label]
    noop_ok = noop <= NOOP_TARGET
    failed |= not noop_ok
    print(
        f"{'no-op with ' + format(n, ',') + ' applied':<52} {noop:>8.3f}s "
        f"{'<= ' + format(NOOP_TARGET, '.1f') + 's':>9}  {'PASS' if noop_ok else 'FAIL'}"
    )
    if not noop_ok or args.profile:
        print("\nno-op breakdown:")
        print(f"  process start + import schemakit.cli: {statistics.median(import_samples):.3f} s")
        for line in import_profile(drizzle_cfg, url_of(cluster, noop_db), args.profile_top):
            print(line)
        for line in noop_profile(drizzle_cfg, url_of(cluster, noop_db), args.profile_top):
            print(line)
    if ratio_failed or args.profile:
        print("\nschemakit (drizzle folder) breakdown:")
        for line in apply_profile(drizzle_cfg, cluster, "bench_profile", args.profile_top):
            print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
