"""Benchmark: `schemakit lint PROJECT` (replay every service's migrations into a throwaway
PostgreSQL, read the catalog, run the rules) against its floor, on generated platforms.

Run with ``.venv/bin/python bench/lint_project.py`` (``--help`` for options). For each size
(services x files per service) it writes a platform whose every file is valid on PostgreSQL
15, then times, alternating, ``--repeat`` runs of:

* ``schemakit``: ``schemakit lint PATH --format json`` in a fresh process with an empty
  cache folder (cold: a new server, every file replayed, the result written to the cache);
* ``warm``: the same again on the cache the cold run left (nothing changed);
* ``changed``: the same after the last file of the middle service gained a column (then the
  file is put back);
* ``floor``: what any replay must do, in one run: ``initdb``, start the server, one
  ``psql -X -q -1`` session over every file in order, one catalog query, stop (immediate
  mode, as the embedded server stops: a throwaway needs no shutdown checkpoint);

both with the server's files on the same storage (``--storage``: the embedded server's
default, memory when /dev/shm has room, or a disk folder). It prints medians and the ratio.
Issue 19's targets: cold <= 1.5x the floor at 10x10 and <= 1.3x at 20x250; at 20x250, warm
<= 15% of cold and changed <= 30% of cold.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from schemakit.server import _run_as, find_bindir, storage_root

TARGETS = {(10, 10): 1.5, (20, 250): 1.3}
WARM_TARGETS = {(20, 250): (0.15, 0.30)}
CATALOG_QUERY = (
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid WHERE n.nspname LIKE 'svc_%'"
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_platform(root: Path, services: int, files: int) -> list[Path]:
    """The platform's config and migrations; returns every file in replay order."""
    ordered = []
    config = []
    for s in range(services):
        name = f"svc_{s:02d}"
        folder = root / "services" / name / "migrations"
        folder.mkdir(parents=True)
        config += [f"[services.{name.replace('_', '-')}]", f'schemas = ["{name}"]']
        config += [f'migrations = "services/{name}/migrations"', ""]
        for f in range(files):
            path = folder / f"{f:04d}_step.sql"
            sql = f"CREATE SCHEMA {name};\n" if f == 0 else ""
            table = f"{name}.items_{f:04d}"
            sql += (
                f"CREATE TABLE {table} (\n"
                "    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
                "    user_id text NOT NULL,\n"
                "    title text NOT NULL,\n"
                "    is_archived boolean NOT NULL DEFAULT false,\n"
                "    created_at timestamptz NOT NULL DEFAULT now(),\n"
                "    updated_at timestamptz NOT NULL DEFAULT now()\n"
                ");\n"
                f"CREATE INDEX idx_items_{f:04d}_user_id ON {table} (user_id);\n"
                f"COMMENT ON TABLE {table} IS 'generated';\n"
            )
            if f > 1:
                previous = f"{name}.items_{f - 1:04d}"
                sql += f"ALTER TABLE {previous} ADD COLUMN note_{f:04d} text;\n"
            path.write_text(sql)
            ordered.append(path)
    (root / "schemakit.toml").write_text('database = "platform"\n\n' + "\n".join(config))
    return ordered


def run_schemakit(
    project: Path, env: dict[str, str], cache: Path | None = None
) -> tuple[float, bytes]:
    """Seconds taken, and the findings printed; ``cache``: the cache folder to use (a fresh
    empty one when None)."""
    fresh = None
    if cache is None:
        fresh = tempfile.TemporaryDirectory(prefix="bench-cache-")
        cache = Path(fresh.name)
    env = {**env, "XDG_CACHE_HOME": str(cache)}
    exe = Path(sys.executable).parent / "schemakit"
    start = time.perf_counter()
    done = subprocess.run(
        [str(exe), "lint", str(project), "--format", "json"], capture_output=True, env=env
    )
    elapsed = time.perf_counter() - start
    if fresh is not None:
        fresh.cleanup()
    if done.returncode not in (0, 1):
        raise SystemExit(f"schemakit failed: {done.stderr.decode()[-2000:]}")
    return elapsed, done.stdout


def run_floor(files: list[Path], storage: Path) -> float:
    """initdb, start, one psql session over every file, one catalog query, stop."""
    bindir = find_bindir()
    run_as = _run_as()
    kwargs: dict[str, object] = {}
    if run_as is not None:
        kwargs = {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
    start = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="floor-", dir=storage))
    socket = base / "socket"
    socket.mkdir()
    script = base / "all.sql"
    script.write_text("".join(f"\\i {f}\n" for f in files))
    if run_as is not None:
        for path in (base, socket, script):
            os.chown(path, run_as.uid, run_as.gid)
    data = base / "data"
    try:
        subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--no-sync", "-A", "trust"],
            check=True,
            capture_output=True,
            **kwargs,  # type: ignore[arg-type]
        )
        # the embedded server's lock table: one transaction over 5,000 files outgrows the default
        options = f"-k {socket} -c listen_addresses= -c fsync=off -c full_page_writes=off"
        options += " -c max_locks_per_transaction=1024"
        # -l: without a log file the server keeps pg_ctl's output pipe open, and run() waits
        # for it forever
        log = base / "server.log"
        subprocess.run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-s",
                "start",
            ],
            check=True,
            capture_output=True,
            **kwargs,  # type: ignore[arg-type]
        )
        psql = [str(bindir / "psql"), "-X", "-q", "-h", str(socket), "-U", "postgres"]
        subprocess.run(
            [*psql, "-d", "postgres", "-c", "CREATE DATABASE platform"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*psql, "-d", "platform", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(script)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*psql, "-d", "platform", "-c", CATALOG_QUERY], check=True, capture_output=True
        )
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-s", "stop"],
            check=True,
            capture_output=True,
            **kwargs,  # type: ignore[arg-type]
        )
    finally:
        if (data / "postmaster.pid").exists():  # a step failed: stop the server all the same
            subprocess.run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-s", "stop"],
                capture_output=True,
                **kwargs,  # type: ignore[arg-type]
            )
        shutil.rmtree(base, ignore_errors=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10x10,10x100",
        help="services x files per service, comma separated (issue 19: 10x10,10x100,20x250)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each, alternating")
    parser.add_argument(
        "--storage",
        choices=("default", "disk"),
        default="default",
        help="default: where the embedded server puts its files (memory when it has room); "
        "disk: the temporary folder",
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="another schemakit source folder (a checkout's src/) to time in the same runs, "
        "interleaved; its findings must be byte-identical",
    )
    args = parser.parse_args()
    storage = storage_root() if args.storage == "default" else Path(tempfile.gettempdir())
    env = {**os.environ, "SCHEMAKIT_PG_TMPDIR": str(storage), "DATABASE_URL": ""}
    print(f"server files in {storage}; medians of {args.repeat} runs")
    peer_env = {**env, "PYTHONPATH": str(args.against)} if args.against else None
    head = f"{'size':<10} {'files':>6} {'schemakit':>10} {'floor':>8} {'ratio':>7}"
    head += f" {'warm':>7} {'of cold':>7} {'changed':>8} {'of cold':>7}"
    print(head + (f" {'against':>8} {'ratio':>7}" if peer_env else "") + "  target")
    failed = False
    for size in args.sizes.split(","):
        services, files = (int(n) for n in size.split("x"))
        with tempfile.TemporaryDirectory(dir=tempfile.gettempdir()) as folder:
            root = Path(folder)
            os.chmod(root, 0o755)  # the postgres OS user reads the floor's files
            ordered = write_platform(root, services, files)
            for path in root.rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
            # the middle service's newest file, as a developer edits it
            edited = ordered[(services // 2) * files + files - 1]
            original = edited.read_bytes()
            table = f"svc_{services // 2:02d}.items_{files - 1:04d}"
            ours: list[float] = []
            floor: list[float] = []
            peer: list[float] = []
            warm: list[float] = []
            changed: list[float] = []
            for run in range(args.repeat):
                _log(f"{size}: run {run + 1} of {args.repeat}")
                with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
                    seconds, findings = run_schemakit(root, env, Path(cache))
                    ours.append(seconds)
                    seconds, again = run_schemakit(root, env, Path(cache))
                    warm.append(seconds)
                    if again != findings:
                        raise SystemExit(f"{size}: the warm run's findings differ from cold's")
                    edited.write_bytes(
                        original + f"ALTER TABLE {table} ADD COLUMN x text;\n".encode()
                    )
                    try:
                        seconds, _ = run_schemakit(root, env, Path(cache))
                        changed.append(seconds)
                    finally:
                        edited.write_bytes(original)
                floor.append(run_floor(ordered, storage))
                if peer_env is not None:
                    seconds, theirs = run_schemakit(root, peer_env)
                    peer.append(seconds)
                    if theirs != findings:
                        raise SystemExit(f"{size}: the findings differ from --against's")
        cold = statistics.median(ours)
        ratio = cold / statistics.median(floor)
        warm_share = statistics.median(warm) / cold
        changed_share = statistics.median(changed) / cold
        against = ""
        if peer:
            against = f" {statistics.median(peer):>7.2f}s "
            against += f"{statistics.median(peer) / statistics.median(floor):>6.2f}x"
        verdicts = []
        target = TARGETS.get((services, files))
        if target is not None:
            verdicts.append(f"cold <= {target}x {'PASS' if ratio <= target else 'FAIL'}")
            failed |= ratio > target
        if (services, files) in WARM_TARGETS:
            warm_target, changed_target = WARM_TARGETS[(services, files)]
            verdicts.append(
                f"warm <= {warm_target:.0%} {'PASS' if warm_share <= warm_target else 'FAIL'}"
            )
            verdicts.append(
                f"changed <= {changed_target:.0%} "
                f"{'PASS' if changed_share <= changed_target else 'FAIL'}"
            )
            failed |= warm_share > warm_target or changed_share > changed_target
        print(
            f"{size:<10} {services * files:>6} {cold:>9.2f}s "
            f"{statistics.median(floor):>7.2f}s {ratio:>6.2f}x "
            f"{statistics.median(warm):>6.2f}s {warm_share:>7.0%} "
            f"{statistics.median(changed):>7.2f}s {changed_share:>7.0%}{against}  "
            + "; ".join(verdicts)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
