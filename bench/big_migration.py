"""Benchmark: peak memory of one big migration, ``schemakit migrate`` and ``lint --sql``.

Run with ``.venv/bin/python bench/big_migration.py`` (``--help`` for options). It writes one
plain SQL migration of ``--statements`` (500,000) INSERTs into a table it creates first
(about 51 MB at the default), then, in one throwaway cluster, measures each command's peak
resident memory and wall time with ``/usr/bin/time -v``:

* ``schemakit migrate`` of a one-service project holding that file (a fresh database);
* ``schemakit lint --sql`` of the file (no database);
* ``psql -X -q -1 -v ON_ERROR_STOP=1 -f`` of the same file: the floor (no parsing on the
  client, one transaction).

Each run is checked afterwards (the table holds every row; the ledger has the migration). The
table goes to stdout, progress to stderr; the exit status is 1 when a target fails. Targets:
peak memory <= 300 MB for ``migrate`` and for ``lint --sql`` (issue 17, item 7). A smaller
``--statements`` gives a quicker reading; the target is for the default size.
"""

from __future__ import annotations

import argparse
import os
import re
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
                f"'a note about item {i:07d}, long enough to look like data');\n"
            )
    return path


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(peak MB, wall seconds, exit status) of ``command`` under /usr/bin/time -v."""
    started = time.monotonic()
    proc = subprocess.run(
        [str(TIME), "-v", *command],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    wall = time.monotonic() - started
    found = _PEAK.search(proc.stderr)
    if found is None:
        raise SystemExit(f"no peak memory in /usr/bin/time's output:\n{proc.stderr[-2000:]}")
    if proc.returncode not in (0, 1):  # lint exits 1 with findings
        _log(proc.stderr[-3000:])
    return int(found[1]) / 1024, wall, proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=500_000)
    args = parser.parse_args(argv)
    if not TIME.exists():
        raise SystemExit("/usr/bin/time is needed (apt-get install time)")
    psql = find_bindir() / "psql"
    with tempfile.TemporaryDirectory(prefix="schemakit-bench-big-") as tmp:
        root = Path(tmp)
        path = write_project(root, args.statements)
        size_mb = path.stat().st_size / 1e6
        _log(f"{args.statements:,} INSERTs, {size_mb:.1f} MB, in {path}")
        rows: list[tuple[str, float, float, int, float | None]] = []
        with Cluster() as cluster:
            for database in ("big_schemakit", "big_psql"):
                cluster.create_database(database)
            url = f"postgresql://{cluster.user}@/big_schemakit?host={cluster.socket_dir}"
            _log("schemakit migrate ...")
            peak, wall, code = measure(
                [str(SCHEMAKIT), "migrate", "--config", str(root)], {"DATABASE_URL": url}
            )
            rows.append(("schemakit migrate", peak, wall, code, PEAK_TARGET_MB))
            _log("schemakit lint --sql ...")
            peak, wall, code = measure([str(SCHEMAKIT), "lint", "--sql", str(path)])
            rows.append(("schemakit lint --sql", peak, wall, code, PEAK_TARGET_MB))
            _log("psql -1 -f ...")
            psql_cmd = [str(psql), "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1"]
            psql_cmd += ["-h", str(cluster.socket_dir), "-U", cluster.user]
            peak, wall, code = measure([*psql_cmd, "-f", str(path), "-d", "big_psql"])
            rows.append(("psql -1 -f (floor)", peak, wall, code, None))
            for database in ("big_schemakit", "big_psql"):
                with cluster.connect(database) as conn:
                    count = conn.execute("SELECT count(*) FROM app.items").fetchone()
                    assert count is not None, database
                    assert count[0] == args.statements, (database, count)
            with cluster.connect("big_schemakit") as conn:
                from schemakit.migrate import LEDGER

                ids = conn.execute(f"SELECT id FROM {LEDGER}").fetchall()
                assert ids == [("0001_load",)], ids
    print(f"one migration of {args.statements:,} INSERTs ({size_mb:.1f} MB)")
    print(f"{'command':<24} {'peak RSS':>10} {'wall':>8} {'exit':>5} {'target':>10}")
    failed = False
    for label, peak, wall, code, target in rows:
        verdict = ""
        if target is not None:
            ok = peak <= target
            failed |= not ok and args.statements >= 500_000
            verdict = f"<= {target:.0f} MB {'ok' if ok else 'FAIL'}"
        print(f"{label:<24} {peak:>7.0f} MB {wall:>7.1f}s {code:>5} {verdict:>10}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
