"""APL002: a service's sources (Drizzle or models) and its migrations describe different tables."""

from __future__ import annotations

from schemakit.rules._base import Rule, Severity


class SourcesAndMigrationsDisagree(Rule):
    """A table, column or index that only one of a service's sources and migrations has.

    ## What it does
    Where a service has both, `schemakit lint` compares the Catalog of its Drizzle sources
    (or SQLAlchemy models) with the Catalog its replayed migrations produce, in the service's
    own schemas. Each difference is one finding saying which side is ahead: at the
    declaration when the sources are ahead (a `drizzle-kit generate` that was never run), at
    the migration statement when the migrations are (a hand-written column or index the
    sources lack). Tables a service declares only to read another service's (`read-only`)
    are not compared.

    ## Why is this bad?
    The code and the database it deploys to disagree: a query for a column no migration
    creates fails in production, and the next `drizzle-kit generate` (or Alembic
    autogenerate) writes a migration that drops what a hand-written migration added.

    ## Example
    ```sql
    -- src/db/schema.ts declares files.objects.mime_type; no migration adds it
    CREATE TABLE files.objects (id uuid PRIMARY KEY, user_id text NOT NULL);
    ```

    ## Use instead
    ```sql
    -- drizzle-kit generate, run after the schema change
    ALTER TABLE files.objects ADD COLUMN mime_type text;
    ```

    ## Guideline
    Migrations, Quick Reference: "Tracked migrations with history" (`pnpm db:generate`
    after each schema change, `pnpm db:migrate` in production).
    """

    code = "APL002"
    name = "sources-and-migrations-disagree"
    object_kind = "table"
    severity = Severity.ERROR
