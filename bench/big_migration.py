"""Benchmark: peak memory of one big migration, ``schemakit migrate`` and ``lint --sql``.

Run with ``.venv/bin/python bench/big_migration.py`` (``--help`` for options). It writes one
plain SQL migration of ``--statements`` (500,000) INSERTs into a table it creates first
(about 50 MB at the default), then, in one throwaway cluster, measures each command's peak
resident memory and wall time with ``/usr/bin/time -v`` (without it: the child's own
``ru_maxrss``, from ``os.wait4``):

* ``schemakit migrate`` of a one-service project holding that file (a fresh database);
* ``schemakit lint --sql`` of the file (no database);
* ``psql -X -q -1 -v ON_ERROR_STOP=1 -f`` of the same file: the floor (no parsing on the
  client, one transaction).

Each run is checked afterwards (the table holds every row; the ledger has the migration).
``--runs N`` repeats the three (a fresh database each time) and prints every run and the
median. The table goes to stdout, progress to stderr; the exit status is 1 when a target
fails (PASS/FAIL per command). Targets: peak memory <= 300 MB for ``migrate`` and for
``lint --sql`` (issue 17, item 7). A smaller ``--statements`` gives a quicker reading; the
target is for the default size.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from schemakit.testing import Cluster, find_bindir

BIN = Path(sys.executable).parent
SCHEMAKIT = BIN / "schemakit"
TIME = Path("/usr/bin/time")
PEAK_TARGET_MB = 300.0
_PEAK = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_project(root: Path, statements: int) -> Path:
    """A one-service project whose only migration is ``statements`` INSERTs; the file."""
    (root / "app").mkdir(parents=True)
    (root / "schemakit.toml").write_text(
        '[services.app]\nschemas = ["app"]\nmigrations = "app"\n', encoding="utf-8"
    )
    path = root / "app" / "0001_load.sql"
    with path.open("w", encoding="utf-8") as out:
        out.write("CREATE SCHEMA app;\n")
        out.write(
            "CREATE TABLE app.items (id bigint PRIMARY KEY, name text NOT NULL, note text);\n"
        )
        for i in range(statements):
            out.write(
                f"INSERT INTO app.items (id, name, note) VALUES ({i}, 'item {i:07d}', "
                f"'a note about item {i:07d}');\n"
            )
    return path


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(peak MB, wall seconds, exit status) of ``command``: /usr/bin/time -v's maximum
    resident set size, or the child's own ru_maxrss (os.wait4) where there is no such tool."""
    started = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    if not TIME.exists():
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=full_env
        )
        assert child.stderr is not None
        err = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        if child.returncode not in (0, 1):
            _log(err.decode(errors="replace")[-3000:])
        return usage.ru_maxrss / 1024, wall, child.returncode
    proc = subprocess.run([str(TIME), "-v", *command], capture_output=True, text=True, env=full_env)
    wall = time.monotonic() - started
    found = _PEAK.search(proc.stderr)
    if found is None:
        raise SystemExit(f"no peak memory in /usr/bin/time's output:\n{proc.stderr[-2000:]}")
    if proc.returncode not in (0, 1):  # lint exits 1 with findings
        _log(proc.stderr[-3000:])
    return int(found[1]) / 1024, wall, proc.returncode


Row = tuple[str, float, float, int]


def one_run(cluster: Cluster, root: Path, path: Path, run: int, statements: int) -> list[Row]:
    """migrate, lint --sql and the floor once, each checked; (label, MB, s, exit) rows."""
    from schemakit.migrate import LEDGER

    psql = find_bindir() / "psql"
    databases = (f"big_schemakit_{run}", f"big_psql_{run}")
    for database in databases:
        cluster.create_database(database)
    url = f"postgresql://{cluster.user}@/{databases[0]}?host={cluster.socket_dir}"
    rows: list[Row] = []
    _log(f"run {run}: schemakit migrate ...")
    migrate = [str(SCHEMAKIT), "migrate", "--config", str(root)]
    rows.append(("schemakit migrate", *measure(migrate, {"DATABASE_URL": url})))
    _log(f"run {run}: schemakit lint --sql ...")
    rows.append(("schemakit lint --sql", *measure([str(SCHEMAKIT), "lint", "--sql", str(path)])))
    _log(f"run {run}: psql -1 -f ...")
    psql_cmd = [str(psql), "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1"]
    psql_cmd += ["-h", str(cluster.socket_dir), "-U", cluster.user]
    rows.append(("psql -1 -f (floor)", *measure([*psql_cmd, "-f", str(path), "-d", databases[1]])))
    for database in databases:
        with cluster.connect(database) as conn:
            count = conn.execute("SELECT count(*) FROM app.items").fetchone()
            assert count is not None, database
            assert count[0] == statements, (database, count)
    with cluster.connect(databases[0]) as conn:
        ids = conn.execute(f"SELECT id FROM {LEDGER}").fetchall()
        assert ids == [("0001_load",)], ids
    for database in databases:
        cluster.drop_database(database)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    runs: list[list[Row]] = []
    with tempfile.TemporaryDirectory(prefix="schemakit-bench-big-") as tmp:
        root = Path(tmp)
        path = write_project(root, args.statements)
        size_mb = path.stat().st_size / 1e6
        _log(f"{args.statements:,} INSERTs, {size_mb:.1f} MB, in {path}")
        with Cluster() as cluster:
            for run in range(1, args.runs + 1):
                runs.append(one_run(cluster, root, path, run, args.statements))
    how = "/usr/bin/time -v" if TIME.exists() else "ru_maxrss of the child (os.wait4)"
    print(f"one migration of {args.statements:,} INSERTs ({size_mb:.1f} MB); peak RSS by {how}")
    print(f"{'command':<24} {'runs (peak MB / wall s)':<40} {'median':>16} {'target':>16}")
    failed = False
    for i, (label, *_) in enumerate(runs[0]):
        peaks = [r[i][1] for r in runs]
        walls = [r[i][2] for r in runs]
        codes = {r[i][3] for r in runs}
        each = ", ".join(f"{p:.0f}/{w:.1f}" for p, w in zip(peaks, walls, strict=True))
        peak, wall = statistics.median(peaks), statistics.median(walls)
        verdict = ""
        if label.startswith("schemakit"):
            ok = max(peaks) <= PEAK_TARGET_MB and codes <= {0, 1}
            failed |= not ok and args.statements >= 500_000
            verdict = f"<= {PEAK_TARGET_MB:.0f} MB {'PASS' if ok else 'FAIL'}"
        print(f"{label:<24} {each:<40} {peak:>6.0f} MB {wall:>5.1f}s {verdict:>16}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
