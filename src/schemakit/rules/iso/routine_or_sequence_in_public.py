"""ISO003: a function, procedure or free-standing sequence in the public schema."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import CatalogContext, CatalogRule, Finding


class RoutineOrSequenceInPublic(CatalogRule):
    """Function, procedure or free-standing sequence in the `public` schema.

    ## What it does
    Flags functions, procedures and aggregates in `public`, and sequences in `public` that
    no column owns (a `serial` column's sequence follows its table, which ISO001 covers).
    Objects installed by extensions are not flagged. Exempt databases are skipped.

    ## Why is this bad?
    A trigger function such as `set_updated_at()` created unqualified lands in `public`,
    where the next service's function of the same name silently replaces it with
    `CREATE OR REPLACE`, or collides with it.

    ## Example
    ```sql
    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ ... $$;
    ```

    ## Use instead
    ```sql
    CREATE FUNCTION storage.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ ... $$;
    ```

    ## Guideline
    Schema Isolation (pgSchema): the schema is the namespace of everything a service owns.
    """

    code = "ISO003"
    name = "routine-or-sequence-in-public"
    object_kind = "function"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        if ctx.exempt:
            return
        for function in ctx.catalog.functions.values():
            if function.schema == "public":
                yield self.finding(
                    f"{function.kind.capitalize()} {function.path} is in the public schema",
                    "Create it in the owning service's schema instead.",
                    object=function.path,
                    kind=function.kind,
                )
        for sequence in ctx.catalog.sequences.values():
            if sequence.schema == "public" and sequence.owned_by is None:
                yield self.finding(
                    f"Sequence {sequence.path} is in the public schema",
                    "Create it in the owning service's schema instead.",
                    object=sequence.path,
                    kind="sequence",
                )
