"""Fuzz: 100,000 generated or mutated SQL inputs through ``schemakit lint``; none may crash it.

Run with ``.venv/bin/python bench/fuzz.py`` (``--help`` for options; needs the ``dev`` extra,
for hypothesis). The inputs, counted exactly, come from three sources:

* ``truncations``: every truncation, at each character offset, of every real migration of the
  repository (examples/platform's migrations and drizzle folders, tests/rules/fixtures);
* ``generated``: hypothesis draws from tests/test_fuzz.py's grammar of migrations (DDL, lock
  timeouts, data changes, suppressions, drizzle breakpoints, dollar quotes, non-ASCII, CRLF),
  one in three damaged;
* ``mutated``: hypothesis draws from tests/test_fuzz.py's mutations (truncations and edits of
  the real migrations or of generated ones, at the character or the byte level, so some are
  not UTF-8).

Hypothesis fills whatever the truncations leave of ``--inputs``, half generated, half mutated.
Each input is linted in-process by ``lint_files``, in turn as a file, as standard input and as
a drizzle folder, and checked by tests/test_fuzz.py's ``check_input``: no exception but the
"not UTF-8" MigrationError for bytes that are not UTF-8, every finding at a line and column of
the file. Progress goes to stderr, the totals to stdout; a crashing input is saved under
bench/results/ with its traceback, and the exit status is 1 when any input crashed.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the strategies and the oracle live with the test

from tests.test_fuzz import (  # noqa: E402
    MODES,
    REAL,
    Generated,
    check_input,
    migrations,
    mutations,
    scratch,
)

RESULTS = ROOT / "bench" / "results"
BATCH = 5_000
"""Hypothesis examples per run (each run with its own seed) until the quota is filled."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Tally:
    """What one source of inputs gave."""

    inputs: int = 0
    refused: int = 0
    """Not UTF-8: refused with the MigrationError (exit 2), as promised."""
    with_syntax_error: int = 0
    findings: int = 0
    crashes: int = 0


class Fuzzer:
    def __init__(self, folder: Path, keep: int) -> None:
        self.folder = folder
        self.keep = keep
        self.tallies: dict[str, Tally] = {}
        self.crashes: list[Path] = []

    def run(self, source: str, data: bytes) -> None:
        tally = self.tallies.setdefault(source, Tally())
        mode = MODES[tally.inputs % len(MODES)]
        tally.inputs += 1
        try:
            outcome = check_input(data, self.folder, mode)
        except Exception:
            tally.crashes += 1
            self._save(source, mode, data, traceback.format_exc())
            return
        if outcome.findings is None:
            tally.refused += 1
        else:
            tally.findings += outcome.findings
            tally.with_syntax_error += outcome.syntax_errors > 0

    def _save(self, source: str, mode: str, data: bytes, trace: str) -> None:
        total = sum(t.crashes for t in self.tallies.values())
        _log(f"CRASH #{total} ({source}, as {mode}): input {data[:200]!r}\n{trace}")
        if len(self.crashes) >= self.keep:
            return
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"fuzz-crash-{len(self.crashes) + 1:03d}.sql"
        path.write_bytes(data)
        path.with_suffix(".txt").write_text(f"source: {source}, as {mode}\n\n{trace}")
        self.crashes.append(path)


def truncations(fuzzer: Fuzzer, limit: int) -> None:
    done = 0
    for name, data in REAL:
        text = data.decode()
        for offset in range(len(text) + 1):
            if done >= limit:
                return
            fuzzer.run("truncations", text[:offset].encode())
            done += 1
        _log(f"  truncations: {done:,} ({name})")


def with_hypothesis(
    fuzzer: Fuzzer,
    source: str,
    strategy: st.SearchStrategy[bytes],
    quota: int,
    first_seed: int,
) -> None:
    """``quota`` draws of ``strategy``, exactly: hypothesis runs of BATCH examples, each with
    its own seed, until the quota is filled."""
    done = 0

    def body(data: bytes) -> None:
        nonlocal done
        if done < quota:  # a run may draw past the quota; those are not linted
            done += 1
            fuzzer.run(source, data)

    run_seed = first_seed
    while done < quota:
        before = done
        test: Callable[[], None] = seed(run_seed)(
            settings(
                max_examples=min(BATCH, quota - done),
                phases=[Phase.generate],  # nothing fails inside: crashes are recorded, not shrunk
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )(given(strategy)(body))
        )
        test()
        run_seed += 1
        _log(f"  {source}: {done:,}/{quota:,}")
        if done == before:
            raise SystemExit(f"hypothesis drew no {source} input in a run: giving up")


def _generated_bytes(migration: Generated) -> bytes:
    return migration.text.encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs in all (100,000)")
    parser.add_argument("--seed", type=int, default=0, help="first hypothesis seed (0)")
    parser.add_argument(
        "--keep", type=int, default=20, help="crashing inputs saved under bench/results/ (20)"
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    with scratch() as folder:
        fuzzer = Fuzzer(folder, args.keep)
        _log(f"fuzzing {args.inputs:,} inputs ({len(REAL)} real migrations to mutate)")
        truncations(fuzzer, args.inputs)
        left = args.inputs - fuzzer.tallies.get("truncations", Tally()).inputs
        generated = left // 2
        with_hypothesis(
            fuzzer, "generated", migrations().map(_generated_bytes), generated, args.seed
        )
        with_hypothesis(fuzzer, "mutated", mutations(), left - generated, args.seed + 1_000)
    elapsed = time.perf_counter() - start

    rows = [(name, t) for name, t in fuzzer.tallies.items()]
    total = Tally()
    for _, t in rows:
        for field in ("inputs", "refused", "with_syntax_error", "findings", "crashes"):
            setattr(total, field, getattr(total, field) + getattr(t, field))
    rows.append(("total", total))
    header = ("source", "inputs", "not UTF-8 (exit 2)", "with SYN001", "findings", "crashes")
    widths = (12, 9, 19, 12, 10, 8)
    print(
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    )
    for name, t in rows:
        cells = (name, t.inputs, t.refused, t.with_syntax_error, t.findings, t.crashes)
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else f"{c:,}".rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    print(f"wall time: {elapsed:.1f} s ({total.inputs / elapsed:,.0f} inputs/s)")
    if total.crashes:
        saved = f"; saved under {RESULTS}" if fuzzer.crashes else ""
        print(f"FAIL: {total.crashes:,} inputs crashed the linter{saved}")
        return 1
    print(f"OK: no crash in {total.inputs:,} inputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
