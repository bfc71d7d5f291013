"""ISO010: a read-only declaration of another service's table that its owner does not match."""

from __future__ import annotations

from schemakit.rules._base import Rule, Severity


class StaleReadOnlyTable(Rule):
    """A read-only declaration of another service's table that its owner does not match.

    ## What it does
    A table a service declares only to join against another service's (`read-only` in its
    config: outside its drizzle-kit `schemaFilter`) is checked against the owning service's
    own declaration, when both are read: a column the owner does not declare, or declares
    with another type, is a finding at the read-only declaration.

    ## Why is this bad?
    The read-only copy is what the service's queries are typed against: a column the owner
    dropped or renamed fails at run time, never at build time, and a changed type reads
    wrong values.

    ## Example
    ```typescript
    // billing: auth's users, declared to join against them; auth renamed email
    export const users = pgSchema('auth').table('users', { id: text('id'), email: text('email') });
    ```

    ## Use instead
    ```typescript
    export const users = pgSchema('auth').table('users', { id: text('id'), mail: text('mail') });
    ```

    ## Guideline
    Schema Isolation (pgSchema): each service owns its schema; another service reads it as
    it is.
    """

    code = "ISO010"
    name = "stale-read-only-table"
    object_kind = "table"
    severity = Severity.ERROR
