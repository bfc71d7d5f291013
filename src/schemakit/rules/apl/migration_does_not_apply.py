"""APL001: a migration that fails on the database its predecessors produce."""

from __future__ import annotations

from schemakit.rules._base import Rule, Severity


class MigrationDoesNotApply(Rule):
    """A migration that PostgreSQL refuses when it is applied after the ones before it.

    ## What it does
    `schemakit lint` replays each service's migrations, in order, into a throwaway
    PostgreSQL. When a statement fails there, this is reported at that statement with the
    server's message, the rest of that service's migrations are not applied (they build on
    what failed), and everything else goes on: the statement rules still read every file of
    the service, and the other services are replayed and checked as usual.

    ## Why is this bad?
    The migration fails on deploy: on a fresh database (a new environment, a test
    database built from migrations, a disaster recovery) the first time, and on production
    when it reaches this file. A history that starts from `drizzle-kit push` (the first file
    alters tables only push created) fails here too: give that service a baseline.

    ## Example
    ```sql
    -- 0001_add_avatar.sql: the table was created by `drizzle-kit push`, not by a migration
    ALTER TABLE profiles.users ADD COLUMN avatar_url text;
    ```

    ## Use instead
    ```sql
    -- 0000_init.sql, what push made, as a migration (drizzle-kit generate writes it)
    CREATE TABLE profiles.users (id text PRIMARY KEY, name text NOT NULL);
    ```

    ## Guideline
    Migrations, Quick Reference: production runs `pnpm db:migrate`, "Tracked migrations with
    history"; Key Concepts: "Migrations run BEFORE code deployment" (every environment is
    built by the same history, which must apply from an empty database).
    """

    code = "APL001"
    name = "migration-does-not-apply"
    object_kind = "migration"
    severity = Severity.ERROR
