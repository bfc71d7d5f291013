"""Benchmark: ``schemakit studio`` on a generated 2,000-table platform, time to first paint.

Run with ``.venv/bin/python bench/studio.py`` (``--help`` for options). It writes a platform
of ``--services`` services of ``--tables`` tables each plus one service of ``--big`` tables
(2,000 tables by default: 10 x 100 + 1,000), each table with eight columns, a primary key,
an index and a foreign key to an earlier table of its service, one table in fifty also
referencing another service. Then it loads the studio as ``schemakit studio`` does (the
migrations replayed into a throwaway PostgreSQL and linted: reported, not the target), serves
it on loopback and, in headless Chromium (Debian's ``chromium`` through Playwright), opens each
page ``--repeat`` times in a fresh tab and reads the page's own timings:

* ``first paint``: ``first-contentful-paint`` from navigation start, median and worst: what
  the target is about. The platform and service pages are rendered before the server starts,
  as ``schemakit studio`` does (that time is printed); search and one-table pages are
  rendered on their first request;
* ``server``: the response's ``responseEnd`` (request, render when not ahead, transfer);
* ``floor``: a one-line HTML page from the same server: what the browser costs on its own.

The exit status is 1 when a page's median first paint misses the target.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse
from starlette.routing import Route

from schemakit.studio import create_app, load, running, warm

TARGET_SECONDS = 1.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _service_sql(schema: str, tables: int, others: list[str]) -> str:
    lines = [f"CREATE SCHEMA {schema};"]
    for n in range(tables):
        name = f"t_{n:04d}"
        columns = [
            "id uuid PRIMARY KEY DEFAULT gen_random_uuid()",
            "user_id text NOT NULL",
            "title text NOT NULL",
            "amount integer NOT NULL DEFAULT 0",
            "is_active boolean NOT NULL DEFAULT true",
            "payload jsonb",
            "created_at timestamptz NOT NULL DEFAULT now()",
            "updated_at timestamptz NOT NULL DEFAULT now()",
        ]
        if n:
            columns.append(f"parent_id uuid REFERENCES {schema}.t_{(n * 7) // 10:04d} (id)")
        if n % 50 == 49 and others:
            other = others[n % len(others)]
            columns.append(f"{other}_ref_id uuid REFERENCES {other}.t_0000 (id)")
        lines.append(f"CREATE TABLE {schema}.{name} (\n    " + ",\n    ".join(columns) + "\n);")
        lines.append(f"CREATE INDEX idx_{name}_user_id ON {schema}.{name} (user_id);")
    return "\n".join(lines) + "\n"


def generate(folder: Path, services: int, tables: int, big: int) -> dict[str, int]:
    """Write the platform; returns service -> tables."""
    sizes = {f"svc_{i:02d}": tables for i in range(services)}
    if big:
        sizes["big"] = big
    config = ['database = "platform"\n']
    earlier: list[str] = []
    for name, count in sizes.items():
        migrations = folder / "services" / name / "migrations"
        migrations.mkdir(parents=True)
        (migrations / "0001_init.sql").write_text(
            _service_sql(name, count, list(earlier)), encoding="utf-8"
        )
        earlier.append(name)
        config.append(
            f'[services.{name}]\nschemas = ["{name}"]\nmigrations = "services/{name}/migrations"\n'
        )
    (folder / "schemakit.toml").write_text("\n".join(config), encoding="utf-8")
    return sizes


_TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {paint: paint ? paint.startTime : null, server: nav.responseEnd,
          bytes: nav.transferSize, nodes: document.getElementsByTagName("*").length};
}"""


def measure(browser: Any, url: str, repeat: int) -> dict[str, float]:
    paints, servers = [], []
    info: dict[str, Any] = {}
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="load")
        # first-contentful-paint is recorded after the frame is drawn: wait for it
        page.wait_for_function(
            "() => performance.getEntriesByName('first-contentful-paint').length > 0",
            timeout=30_000,
        )
        info = page.evaluate(_TIMINGS)
        paints.append(info["paint"] / 1000)
        servers.append(info["server"] / 1000)
        context.close()
    return {
        "paint": statistics.median(paints),
        "server": statistics.median(servers),
        "worst": max(paints),
        "bytes": float(info["bytes"]),
        "nodes": float(info["nodes"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=10, help="services of --tables each")
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--big", type=int, default=1000, help="tables of the one big service")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    chromium = next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None,
    )
    if chromium is None:
        _log("no Chromium: apt-get install chromium (scripts/bootstrap does)")
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="schemakit-studio-bench-") as tmp:
        folder = Path(tmp) / "platform"
        sizes = generate(folder, args.services, args.tables, args.big)
        total = sum(sizes.values())
        _log(f"generated {len(sizes)} services, {total} tables; loading the studio")
        started = time.perf_counter()
        loaded = load(folder, progress=_log)
        load_seconds = time.perf_counter() - started
        app = create_app(loaded)
        started = time.perf_counter()
        warm(app)  # as `schemakit studio` does before it serves
        warm_seconds = time.perf_counter() - started
        app.router.routes.insert(0, Route("/floor", lambda request: HTMLResponse("<p>floor</p>")))
        pages = {
            "floor (one-line page)": "floor",
            "platform view": "",
            f"service view, {args.tables} tables": "service/svc_00",
            f"service view, {args.big} tables": "service/big" if args.big else "",
            "search 'user_id' (50 hits)": "search?q=user_id",
        }
        rows = []
        with running(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for label, path in pages.items():
                _log(f"measuring {label}")
                rows.append((label, measure(browser, url + path, args.repeat)))
            browser.close()
    print(
        f"studio on a generated platform: {total} tables in {len(sizes)} services "
        f"({len(loaded.snapshot.findings)} findings); load (replay + lint) {load_seconds:.1f} s, "
        f"pages rendered ahead {warm_seconds:.2f} s"
    )
    print(f"medians of {args.repeat} fresh tabs each; target: first paint <= {TARGET_SECONDS:g} s")
    print(
        f"{'page':<32} {'first paint':>12} {'worst':>8} {'server':>8} {'vs floor':>9} "
        f"{'KiB':>6} {'nodes':>6}"
    )
    floor = rows[0][1]["paint"]
    missed = False
    for label, row in rows:
        ok = row["paint"] <= TARGET_SECONDS
        missed |= not ok
        print(
            f"{label:<32} {row['paint']:>10.3f} s {row['worst']:>6.3f} s {row['server']:>6.3f} s "
            f"{row['paint'] / floor:>8.1f}x {row['bytes'] / 1024:>6.0f} {row['nodes']:>6.0f}"
            + ("" if ok else "  MISSED")
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
