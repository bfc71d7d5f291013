"""One difference between a live database and what its migrations produce (``drift``): its
own module, so the comparisons of tables and of security both make them without importing
each other."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Difference"]


@dataclass(frozen=True, order=True)
class Difference:
    object: str
    kind: str
    """``missing`` (the migrations make it, the database lacks it), ``extra`` (the other
    way round), ``changed``, or ``pending``: a migration file the ledger has not recorded
    (not drift: ``migrate`` applies it)."""
    detail: str = ""
    sql: str = ""
    """The statements that would make the database what the applied migrations produce
    (``--`` comments where no statement can, with where the migrations make it)."""

    @property
    def is_drift(self) -> bool:
        return self.kind != "pending"

    def render(self) -> str:
        what = {
            "missing": "in the migrations, not in the database",
            "extra": "in the database, not in the migrations",
            "changed": "differs",
            "pending": "pending, not applied yet (not drift: migrate applies it)",
        }[self.kind]
        line = f"{self.object}: {what}" + (f" ({self.detail})" if self.detail else "")
        if self.sql:
            line += "\n" + "\n".join(f"    {fix}" for fix in self.sql.splitlines())
        return line
