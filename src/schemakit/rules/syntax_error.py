"""SYN001: SQL that PostgreSQL's parser rejects."""

from __future__ import annotations

from schemakit.rules._base import Rule, Severity


class SyntaxError_(Rule):
    """SQL that PostgreSQL's own parser rejects.

    ## What it does
    Reports each statement of a migration or SQL file that libpg_query (PostgreSQL's parser,
    through pglast) cannot parse, at its line, with the server's own message. The other
    statements of the file are still linted: the text is split at the semicolons the scanner
    sees and every piece parsed alone.

    ## Why is this bad?
    The migration fails on deploy at that statement; with drizzle-orm's migrator, every
    pending file before it in the same run is rolled back with it. When `schemakit lint`
    replays a service's migrations, it stops at the broken file, so the catalog findings of
    that service cover only the files before it.

    ## Example
    ```sql
    CREATE TABLE storage.files (id uuid,);
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.files (id uuid);
    ```

    ## Guideline
    Migrations, Key Concepts: "Migrations run BEFORE code deployment" (a file the parser
    rejects fails the deploy there).
    """

    code = "SYN001"
    name = "syntax-error"
    meta = "syntax"
    severity = Severity.ERROR
