"""Benchmark: linting 500 Drizzle schema files and 500 SQLAlchemy models, next to a grep.

The guideline's only check is ``rg "pgTable\\("``; this prints, in one run on the same files,
what understanding the sources costs over grepping them:

* ``grep -rn "pgTable(" drizzle/`` (the guideline's check, as a process);
* schemakit on the Drizzle files: tree-sitter parse into the Catalog, then the source rules
  (ISO001/ISO002 and the NAM/TYP/COL/IDX families);
* schemakit on the SQLAlchemy models: import the modules, build the Catalog from their
  MetaData, then the same table-shape rules.

Each file holds one service's table; a tenth of them carry deliberate violations (a raw
``pgTable``, a ``uuid`` user id), so there is something to find. Medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from schemakit.catalog import from_drizzle, from_metadata
from schemakit.config import Config
from schemakit.rules import RULES, CatalogContext, run_catalog_rules

FAMILIES = ("NAM", "TYP", "COL", "IDX")
SOURCE_RULES = tuple(r for r in RULES if r.family() in FAMILIES or r.code in ("ISO001", "ISO002"))
MODEL_RULES = tuple(r for r in RULES if r.family() in FAMILIES)

DRIZZLE = """import {{ boolean, index, pgSchema, pgTable, text, timestamp, uuid }} from 'drizzle-orm/pg-core';

export const s{i} = pgSchema('svc{i}');

export const items{i} = {table}('items_{i}', {{
  id: uuid('id').primaryKey().defaultRandom(),
  userId: {user_id}('user_id').notNull(),
  name: text('name').notNull(),
  isArchived: boolean('is_archived').default(false).notNull(),
  createdAt: timestamp('created_at', {{ withTimezone: true }}).defaultNow().notNull(),
  updatedAt: timestamp('updated_at', {{ withTimezone: true }}).defaultNow().notNull(),
}}, (table) => [index('idx_items_{i}_user_id').on(table.userId)]);
"""

MODEL = """import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemakit.conventions import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = sa.MetaData(schema="svc{i}", naming_convention=dict(NAMING_CONVENTION))


class Item(Base):
    __tablename__ = "items_{i}"

    id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()")
    )
    user_id: Mapped[{user_type}] = mapped_column({user_column}, index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    is_archived: Mapped[bool] = mapped_column(server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
"""


def generate(root: Path, count: int) -> tuple[Path, Path]:
    drizzle, models = root / "drizzle", root / "models"
    drizzle.mkdir()
    models.mkdir()
    for i in range(count):
        bad = i % 10 == 0
        (drizzle / f"svc{i}.schema.ts").write_text(
            DRIZZLE.format(
                i=i,
                table="pgTable" if bad else f"s{i}.table",
                user_id="uuid" if bad else "text",
            )
        )
        (models / f"bench_model_{i}.py").write_text(
            MODEL.format(
                i=i,
                user_type="uuid.UUID" if bad else "str",
                user_column="sa.Uuid" if bad else "sa.Text",
            )
        )
    return drizzle, models


def lint_drizzle(folder: Path) -> int:
    catalog, _ = from_drizzle(sorted(folder.glob("*.ts")), "main")
    ctx = CatalogContext(catalog, Config(path=None, root=folder), "main", has_registry=False)
    return len(run_catalog_rules(SOURCE_RULES, ctx))


def lint_models(folder: Path, count: int) -> int:
    sys.path.insert(0, str(folder))
    try:
        found = 0
        for i in range(count):
            name = f"bench_model_{i}"
            sys.modules.pop(name, None)
            module = importlib.import_module(name)
            catalog = from_metadata(module.Base.metadata, "main")
            ctx = CatalogContext(
                catalog, Config(path=None, root=folder), "main", has_registry=False
            )
            found += len(run_catalog_rules(MODEL_RULES, ctx))
        return found
    finally:
        sys.path.remove(str(folder))


def timed(fn: object, repeat: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    grep = shutil.which("grep")
    root = Path(tempfile.mkdtemp(prefix="schemakit-bench-lint-"))
    try:
        drizzle, models = generate(root, args.files)
        grep_time, grep_out = timed(
            lambda: subprocess.run(
                [grep or "grep", "-rn", "pgTable(", str(drizzle)], capture_output=True, text=True
            ).stdout.count("\n"),
            args.repeat,
        )
        drizzle_time, drizzle_found = timed(lambda: lint_drizzle(drizzle), args.repeat)
        models_time, models_found = timed(lambda: lint_models(models, args.files), args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    grep_label = 'grep -rn "pgTable(" (the guideline check)'
    print(
        f"{args.files} Drizzle schema files and {args.files} SQLAlchemy model modules; "
        f"medians of {args.repeat}"
    )
    print(f"{'method':<44} {'median':>9} {'vs grep':>8}  found")
    print(f"{grep_label:<44} {grep_time:>8.3f}s {1:>7.1f}x  {grep_out} lines")
    print(
        f"{'schemakit: Drizzle sources (tree-sitter)':<44} {drizzle_time:>8.3f}s "
        f"{drizzle_time / grep_time:>7.1f}x  {drizzle_found} findings"
    )
    print(
        f"{'schemakit: SQLAlchemy models':<44} {models_time:>8.3f}s "
        f"{models_time / grep_time:>7.1f}x  {models_found} findings"
    )
    print("the ratio is the price of understanding the sources instead of grepping them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
