"""``python -m schemakit``."""

from schemakit.cli import run

run()
