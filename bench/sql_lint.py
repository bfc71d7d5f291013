"""Benchmark: ``schemakit lint --sql`` against squawk and sqlfluff on one migration corpus.

Run with ``.venv/bin/python bench/sql_lint.py`` (``--help`` for options). The other linters
come from the ``bench`` extra: ``.venv/bin/pip install -c constraints.txt -e '.[bench]'``
(PyPI ``squawk-cli``, its binary ``squawk``, and ``sqlfluff``).

It generates ``--files`` (1,000) plain SQL migrations holding ``--statements`` (50,000)
statements in all, in a temporary folder: ten service schemas whose tables are created, then
altered by later files (columns added, some NOT NULL without a default; indexes, some without
CONCURRENTLY; constraints, some without NOT VALID; type changes, renames, drops; lock and
statement timeouts; backfills, inserts, plpgsql functions and triggers, enums, views, grants,
comments), about one statement in eight unsafe. Then, on those same files, it times each tool
as a subprocess, so process start-up and imports count:

* ``schemakit lint --sql FOLDER --format json`` (the installed CLI, ``.venv/bin/schemakit``);
* ``squawk --reporter json 'FOLDER/*.sql'`` with an empty config file (``-c``) and no
  ``GITHUB_*``/``SQUAWK_*`` variables in its environment, so it reads no project config and
  uploads nothing (only its ``upload-to-github`` command talks to the network);
* ``sqlfluff lint --dialect postgres --format json FOLDER`` in one process (its default), with
  ``large_file_skip_byte_limit = 0`` so it skips no file; it checks style and layout, not
  migration safety, and is slow: ``--sqlfluff-repeat`` (1) runs of it.

Methods run interleaved, repetition by repetition, after one untimed warm-up of the fast two;
each figure is the median of ``--repeat`` (5) runs (of ``--sqlfluff-repeat`` for sqlfluff),
with the findings each reported. Then the latency that matters in a pre-commit hook: one
file of median size, ``schemakit lint --sql FILE`` (the hook's command: the text report, to
a pipe) and ``squawk FILE``, the median of ``--one-file-repeat`` (11) interleaved runs, with
the CPU time of each beside it. schemakit and sqlfluff run from compiled bytecode, as
installed packages do (``PYTHONDONTWRITEBYTECODE`` is dropped and ``PYTHONPYCACHEPREFIX``
points into the bench's folder, filled by the warm-up runs). Progress goes to stderr, the table to stdout;
the exit status is 1 when a target fails. Targets: schemakit <= 2.0x squawk's wall time and
<= 1.2x its CPU time on the corpus; one file in <= 120 ms wall; sqlfluff >= 50x schemakit's
wall time. With ``--profile`` (or when a squawk target fails) it also prints where
schemakit's time goes: process start and imports, libpg_query's parse and the decoding of all
its JSON trees (with Python's cyclic GC on and off), and cProfile of ``schemakit.cli:main`` in
process, by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from _profile import table_lines

BIN = Path(sys.executable).parent
SCHEMAKIT = BIN / "schemakit"
SQUAWK = BIN / "squawk"
SQLFLUFF = BIN / "sqlfluff"
INSTALL = ".venv/bin/pip install -c constraints.txt -e '.[bench]'"
SCHEMAS = 10
SQUAWK_RATIO_TARGET = 2.0
"""schemakit's wall time on the corpus, at most this many times squawk's."""
SQUAWK_CPU_RATIO_TARGET = 1.2
ONE_FILE_TARGET = 0.120
"""Seconds of wall time for ``schemakit lint --sql FILE`` on one file (a pre-commit hook)."""
SQLFLUFF_RATIO_TARGET = 50.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the corpus ------------------------------------------------------------------------------


class Corpus:
    """Migration statements for ten schemas, drawn from a seeded random generator: each file
    may create a table, then changes tables of its schema that it or earlier files created."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.by_schema: dict[str, list[tuple[str, list[str]]]] = {}
        """(schema.table, its added columns) of every table created so far, by schema."""
        self.not_valid: dict[str, list[str]] = {}
        """Constraints added NOT VALID, by table, for a later file to validate."""
        self.counter = 0

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter:06d}"

    def create_table(self, schema: str) -> list[str]:
        table = f"{schema}.{self._next('t')}"
        refs = ""
        same = [t for t, _ in self.by_schema.get(schema, ())]
        if same and self.rng.random() < 0.5:
            refs = (
                f",\n    parent_id uuid REFERENCES {self.rng.choice(same)} (id) ON DELETE CASCADE"
            )
        statements = [
            f"CREATE TABLE {table} (\n"
            "    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n"
            "    user_id text NOT NULL,\n"
            "    name varchar(200) NOT NULL,\n"
            "    status text NOT NULL DEFAULT 'active',\n"
            "    amount numeric(12, 2),\n"
            "    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,\n"
            "    is_archived boolean NOT NULL DEFAULT false,\n"
            "    created_at timestamptz NOT NULL DEFAULT now(),\n"
            f"    updated_at timestamptz NOT NULL DEFAULT now(){refs}\n)",
            f"CREATE INDEX idx_{table.split('.')[1]}_user_id ON {table} (user_id, created_at)",
        ]
        self.by_schema.setdefault(schema, []).append((table, []))
        return statements

    def statement(self, schema: str) -> str:
        """One statement on a table of ``schema`` an earlier file (or this one) created."""
        rng = self.rng
        table, columns = rng.choice(self.by_schema[schema])
        short = table.split(".")[1]
        column = rng.choice(columns) if columns else "name"
        unsafe = rng.random() < 0.125
        kind = rng.randrange(20)
        if kind < 4:
            new = self._next("c")
            columns.append(new)
            if unsafe:
                return f"ALTER TABLE {table} ADD COLUMN {new} integer NOT NULL"
            return rng.choice(
                (
                    f"ALTER TABLE {table} ADD COLUMN {new} text",
                    f"ALTER TABLE {table} ADD COLUMN {new} integer NOT NULL DEFAULT 0",
                    f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {new} timestamptz",
                )
            )
        if kind < 6:
            name = self._next(f"idx_{short}")
            if unsafe:
                return f"CREATE INDEX {name} ON {table} ({column})"
            return f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({column})"
        if kind == 6:
            name = self._next(f"{short}_check")
            if unsafe:
                return f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (amount >= 0)"
            self.not_valid.setdefault(table, []).append(name)
            return f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (amount >= 0) NOT VALID"
        if kind == 7:
            parent, _ = rng.choice(self.by_schema[schema])
            name = self._next(f"{short}_fk")
            if not unsafe:
                self.not_valid.setdefault(table, []).append(name)
            return (
                f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (parent_id) "
                f"REFERENCES {parent} (id)" + ("" if unsafe else " NOT VALID")
            )
        if kind == 8:
            if unsafe:
                return f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL"
            pending = self.not_valid.get(table)
            if pending:
                return f"ALTER TABLE {table} VALIDATE CONSTRAINT {pending.pop(0)}"
            return f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL"
        if kind == 9:
            if unsafe:
                return (
                    f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bigint USING {column}::bigint"
                )
            return f"ALTER TABLE {table} ALTER COLUMN status SET DEFAULT 'pending'"
        if kind == 10:
            if unsafe:
                if columns:
                    columns.remove(column)
                    return f"ALTER TABLE {table} DROP COLUMN {column}"
                return f"DROP TABLE IF EXISTS {table}_old"
            return f"DROP INDEX CONCURRENTLY IF EXISTS {self._next('idx_old')}"
        if kind == 11:
            if unsafe and columns:
                renamed = self._next("c")
                columns[columns.index(column)] = renamed
                return f"ALTER TABLE {table} RENAME COLUMN {column} TO {renamed}"
            return f"COMMENT ON COLUMN {table}.status IS 'lifecycle: active, pending, closed'"
        if kind == 12:
            return rng.choice(("SET lock_timeout = '3s'", "SET statement_timeout = '60s'"))
        if kind == 13:
            return (
                f"UPDATE {table} SET status = 'pending' "
                f"WHERE status IS NULL AND created_at < now() - interval '30 days'"
            )
        if kind == 14:
            return (
                f"INSERT INTO {table} (user_id, name, amount) VALUES "
                f"('u_{rng.randrange(10**6)}', 'seed row', {rng.randrange(1000)}.50) "
                "ON CONFLICT DO NOTHING"
            )
        if kind == 15:
            function = f"{table.split('.')[0]}.{self._next('touch')}"
            return (
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN\n    NEW.updated_at := now();\n    RETURN NEW;\nEND;\n$$"
            )
        if kind == 16:
            return (
                f"CREATE TYPE {table.split('.')[0]}.{self._next('kind')} "
                "AS ENUM ('purchase', 'usage', 'refund')"
            )
        if kind == 17:
            return (
                f"CREATE OR REPLACE VIEW {table}_active AS "
                f"SELECT id, user_id, name FROM {table} WHERE NOT is_archived"
            )
        if kind == 18:
            return f"GRANT SELECT, INSERT, UPDATE ON {table} TO {table.split('.')[0]}_app"
        return f"DELETE FROM {table} WHERE is_archived AND updated_at < now() - interval '1 year'"


def write_corpus(folder: Path, files: int, statements: int, seed: int) -> int:
    """``files`` migrations holding ``statements`` statements in all; returns the count."""
    corpus = Corpus(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    schemas = [f"svc_{i:02d}" for i in range(SCHEMAS)]
    for number in range(files):
        quota = statements // files + (1 if number < statements % files else 0)
        schema = schemas[number % SCHEMAS]
        body: list[str] = []
        if number < SCHEMAS:
            body.append(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        if number < SCHEMAS or corpus.rng.random() < 0.3:
            body += corpus.create_table(schema)
        while len(body) < quota:
            body.append(corpus.statement(schema))
        body = body[:quota]
        path = folder / f"{number + 1:04d}_{schema}.sql"
        path.write_text(f"-- migration {number + 1} of {schema}\n" + ";\n\n".join(body) + ";\n")
        written += len(body)
    return written


# --- the tools -------------------------------------------------------------------------------


@dataclass
class Tool:
    label: str
    command: list[str]
    count: Callable[[str], int]
    """Findings in the tool's JSON output."""
    env: dict[str, str]
    cwd: Path


def _schemakit_count(out: str) -> int:
    return int(json.loads(out)["summary"]["findings"])


def _text_count(out: str) -> int:
    """Findings in the text report: one ``  LINE:COLUMN CODE`` line each."""
    return sum(1 for line in out.splitlines() if re.match(r"  \d+:\d+ [A-Z]{3}\d{3} ", line))


def _squawk_count(out: str) -> int:
    return len(json.loads(out or "[]"))


def _sqlfluff_count(out: str) -> int:
    return sum(len(f["violations"]) for f in json.loads(out))


def tools(work: Path, corpus: Path) -> dict[str, Tool]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SQUAWK_"))}
    # schemakit runs from compiled bytecode, as an installed package does (pip compiles it;
    # pre-commit installs with pip): a checkout run with PYTHONDONTWRITEBYTECODE would compile
    # every module of its own on every start. The cache lives in the bench's folder; the
    # untimed warm-up runs fill it.
    python_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    python_env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    squawk_config = work / "squawk.toml"
    squawk_config.write_text("")
    (work / ".sqlfluff").write_text(
        "[sqlfluff]\ndialect = postgres\nlarge_file_skip_byte_limit = 0\n"
    )
    return {
        "schemakit": Tool(
            "schemakit lint --sql",
            [str(SCHEMAKIT), "lint", "--sql", str(corpus), "--format", "json"],
            _schemakit_count,
            python_env,
            work,
        ),
        "squawk": Tool(
            "squawk",
            [str(SQUAWK), "--reporter", "json", "-c", str(squawk_config), f"{corpus}/*.sql"],
            _squawk_count,
            env,
            work,
        ),
        "sqlfluff": Tool(
            "sqlfluff lint --dialect postgres",
            [
                str(SQLFLUFF),
                "lint",
                "--dialect",
                "postgres",
                "--format",
                "json",
                "--disable-progress-bar",
                str(corpus),
            ],
            _sqlfluff_count,
            python_env,
            work,
        ),
    }


def run_tool(tool: Tool) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the child, findings) of one run; a run that fails (not
    0 or 1, or output that is not its JSON) stops the bench."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(tool.command, capture_output=True, text=True, env=tool.env, cwd=tool.cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(
            f"{tool.label} exited {proc.returncode}: {' '.join(tool.command)}\n{proc.stderr[-2000:]}"
        )
    try:
        found = tool.count(proc.stdout)
    except (ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"{tool.label}: unexpected output ({exc}): {proc.stdout[:500]!r}") from exc
    return wall, cpu, found


def missing_tools(names: list[str]) -> list[str]:
    exes = {"schemakit": SCHEMAKIT, "squawk": SQUAWK, "sqlfluff": SQLFLUFF}
    return [name for name in names if not exes[name].exists() and not shutil.which(name)]


def one_file_latency(work: Path, corpus: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each tool on the corpus file of median size (one
    pre-commit run), interleaved, after one untimed run of each."""
    files = sorted(corpus.glob("*.sql"), key=lambda p: p.stat().st_size)
    one = files[len(files) // 2]
    chosen = tools(work, one)
    chosen["squawk"].command[-1] = str(one)  # a path, not a glob
    # the pre-commit hook's command as it runs there: the text report, to a pipe
    hook = chosen["schemakit"]
    hook.label, hook.command, hook.count = (
        "schemakit lint --sql FILE",
        hook.command[:4],
        _text_count,
    )
    _log(f"one file: {one.name} ({one.stat().st_size:,} bytes)")
    for name in ("schemakit", "squawk"):
        run_tool(chosen[name])
    times: dict[str, list[tuple[float, float]]] = {"schemakit": [], "squawk": []}
    for _ in range(max(repeat, 1)):
        for name in times:
            wall, cpu, _ = run_tool(chosen[name])
            times[name].append((wall, cpu))
    return {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in times.items()
    }


# --- profile -------------------------------------------------------------------------------


def schemakit_profile(corpus: Path, tool: Tool, top: int) -> list[str]:
    """Where schemakit's time goes: process start and imports, libpg_query's parse and the
    decoding of its JSON trees (with Python's cyclic GC on and off), the whole run with the GC
    off, then cProfile of ``schemakit.cli:main`` in process (imports done), by own time."""
    import gc

    from pglast import parser

    from schemakit.cli import main as cli_main

    imports = statistics.median(
        _timed([sys.executable, "-c", "import schemakit.cli, schemakit.lint._files"], tool.env)
        for _ in range(3)
    )
    texts = [path.read_text() for path in sorted(corpus.glob("*.sql"))]
    started = time.perf_counter()
    trees = [parser.parse_sql_json(text) for text in texts]
    parse = time.perf_counter() - started
    megabytes = sum(map(len, trees)) / 1e6
    decode_on = _decode(trees)
    gc.disable()
    try:
        decode_off = _decode(trees)
    finally:
        gc.enable()
    no_gc = [
        sys.executable,
        "-c",
        "import gc, sys; gc.disable(); from schemakit.cli import run; "
        f"sys.argv = ['schemakit', *{tool.command[1:]!r}]; run()",
    ]
    whole_off = statistics.median(_timed(no_gc, tool.env) for _ in range(3))
    lines = [
        f"  process start + imports (python -c 'import schemakit.cli ...'): {imports:.3f} s",
        f"  libpg_query parse of every file to JSON (pglast.parser.parse_sql_json): {parse:.3f} s"
        f" ({megabytes:.1f} MB of JSON)",
        f"  msgspec decoding of all those trees, kept alive: {decode_on:.3f} s with Python's "
        f"cyclic GC on, {decode_off:.3f} s with it off (the lint decodes a tree only when a "
        "rule reads it, and keeps the last few)",
        f"  the whole lint, as measured above but with gc.disable() first: {whole_off:.3f} s",
    ]

    cli_main([*tool.command[1:], "--output", os.devnull])  # warm-up: the lazy imports
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    cli_main([*tool.command[1:], "--output", os.devnull])
    profiler.disable()
    elapsed = time.perf_counter() - started
    lines.append(f"  in-process lint (imports done): {elapsed:.3f} s; cProfile, by own time:")
    return lines + table_lines(pstats.Stats(profiler).sort_stats("tottime"), top)


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, env=env)
    return time.perf_counter() - started


def _decode(trees: list[str]) -> float:
    """Seconds to decode every tree with msgspec (the lint's decoder for a folder), all kept
    alive: the upper bound of what the lint's decoding costs."""
    import msgspec

    decode = msgspec.json.Decoder().decode
    started = time.perf_counter()
    kept = [decode(tree) for tree in trees]
    elapsed = time.perf_counter() - started
    del kept
    return elapsed


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--statements", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of schemakit and squawk")
    parser.add_argument(
        "--sqlfluff-repeat", type=int, default=1, help="runs of sqlfluff (0: skip it)"
    )
    parser.add_argument(
        "--one-file-repeat", type=int, default=11, help="runs of each tool on one file"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    parser.add_argument("--profile", action="store_true", help="profile schemakit in any case")
    parser.add_argument("--profile-top", type=int, default=25)
    args = parser.parse_args(argv)

    names = ["schemakit", "squawk"] + (["sqlfluff"] if args.sqlfluff_repeat > 0 else [])
    missing = missing_tools(names)
    if missing:
        print(
            f"missing: {', '.join(missing)}; install the bench extra: {INSTALL}",
            file=sys.stderr,
        )
        return 2

    with tempfile.TemporaryDirectory(prefix="schemakit-bench-lint-") as tmp:
        work = Path(tmp)
        corpus = args.keep or work / "migrations"
        count = write_corpus(corpus, args.files, args.statements, args.seed)
        size = sum(p.stat().st_size for p in corpus.glob("*.sql"))
        _log(f"corpus: {args.files:,} files, {count:,} statements, {size / 1e6:.1f} MB in {corpus}")
        chosen = {name: tool for name, tool in tools(work, corpus).items() if name in names}
        for name in ("schemakit", "squawk"):
            _log(f"warm-up: {name}")
            run_tool(chosen[name])

        load_before = os.getloadavg()
        wall: dict[str, list[float]] = {name: [] for name in chosen}
        cpu: dict[str, list[float]] = {name: [] for name in chosen}
        findings: dict[str, set[int]] = {name: set() for name in chosen}
        for rep in range(max(args.repeat, args.sqlfluff_repeat)):
            for name, tool in chosen.items():
                if rep >= (args.sqlfluff_repeat if name == "sqlfluff" else args.repeat):
                    continue
                w, c, found = run_tool(tool)
                wall[name].append(w)
                cpu[name].append(c)
                findings[name].add(found)
                _log(f"  run {rep + 1}: {name} {w:.3f} s wall, {c:.3f} s CPU, {found:,} findings")
        one_file = one_file_latency(work, corpus, args.one_file_repeat)
        load_after = os.getloadavg()
        medians = {name: statistics.median(values) for name, values in wall.items()}
        cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}

        print(
            f"\nSQL lint benchmark: {args.files:,} files, {count:,} statements "
            f"({size / 1e6:.1f} MB); median of {args.repeat} (sqlfluff: {args.sqlfluff_repeat})"
        )
        print(
            f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
            f"{load_after[0]:.2f} after (wall times are noisy when it exceeds the CPU count)"
        )
        base = medians["schemakit"]
        print(
            f"{'tool':<34} {'wall':>9} {'CPU':>9} {'stmts/s':>9} {'vs schemakit':>13} "
            f"{'findings':>9}"
        )
        for name, tool in chosen.items():
            m = medians[name]
            counts = "/".join(f"{n:,}" for n in sorted(findings[name]))
            print(
                f"{tool.label:<34} {m:>8.3f}s {cpu_medians[name]:>8.3f}s {count / m:>9,.0f} "
                f"{m / base:>12.2f}x {counts:>9}"
            )

        print(f"\n{'check':<44} {'value':>9} {'target':>9}  verdict")
        squawk_ratio = base / medians["squawk"]
        squawk_failed = squawk_ratio > SQUAWK_RATIO_TARGET
        print(
            f"{'schemakit / squawk (wall)':<44} {squawk_ratio:>8.2f}x "
            f"{'<= ' + format(SQUAWK_RATIO_TARGET, '.1f') + 'x':>9}  "
            f"{'FAIL' if squawk_failed else 'PASS'}"
        )
        cpu_ratio = cpu_medians["schemakit"] / cpu_medians["squawk"]
        cpu_failed = cpu_ratio > SQUAWK_CPU_RATIO_TARGET
        print(
            f"{'schemakit / squawk (CPU)':<44} {cpu_ratio:>8.2f}x "
            f"{'<= ' + format(SQUAWK_CPU_RATIO_TARGET, '.1f') + 'x':>9}  "
            f"{'FAIL' if cpu_failed else 'PASS'}"
        )
        one_wall, one_cpu = one_file["schemakit"]
        one_failed = one_wall > ONE_FILE_TARGET
        print(
            f"{'one file: schemakit lint --sql FILE (wall)':<44} "
            f"{one_wall * 1000:>7.0f}ms "
            f"{'<= ' + format(ONE_FILE_TARGET * 1000, '.0f') + 'ms':>9}  "
            f"{'FAIL' if one_failed else 'PASS'}"
        )
        print(f"{'  its CPU time':<44} {one_cpu * 1000:>7.0f}ms")
        squawk_wall, squawk_cpu = one_file["squawk"]
        print(
            f"{'  squawk FILE, for comparison (wall, CPU)':<44} {squawk_wall * 1000:>7.0f}ms "
            f"{squawk_cpu * 1000:>7.0f}ms"
        )
        failed = squawk_failed or cpu_failed or one_failed
        if "sqlfluff" in medians:
            fluff_ratio = medians["sqlfluff"] / base
            fluff_failed = fluff_ratio < SQLFLUFF_RATIO_TARGET
            failed |= fluff_failed
            print(
                f"{'sqlfluff / schemakit (wall)':<44} {fluff_ratio:>8.1f}x "
                f"{'>= ' + format(SQLFLUFF_RATIO_TARGET, '.0f') + 'x':>9}  "
                f"{'FAIL' if fluff_failed else 'PASS'}"
            )
        else:
            print(f"{'sqlfluff / schemakit (wall)':<44} skipped (--sqlfluff-repeat 0)")
        if squawk_failed or cpu_failed or args.profile:
            print("\nschemakit breakdown:")
            for line in schemakit_profile(corpus, chosen["schemakit"], args.profile_top):
                print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
