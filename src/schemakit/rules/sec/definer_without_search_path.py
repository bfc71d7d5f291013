"""SEC006: a SECURITY DEFINER function in a service's schema without a fixed search_path."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident


class DefinerWithoutSearchPath(CatalogRule):
    """`SECURITY DEFINER` function without a fixed `search_path`.

    ## What it does
    Flags a function or procedure in a service's schema that runs with its owner's rights
    (`SECURITY DEFINER`) and has no `SET search_path` of its own. The fix pins it to the
    function's schema, then `pg_temp` (PostgreSQL's advice: the temporary schema last).

    ## Why is this bad?
    The function resolves unqualified names through the caller's `search_path`. A caller
    who puts a schema of its own (or `pg_temp`) first makes the function call the caller's
    `now()` or read the caller's `users`, with the owner's rights: the classic way up from
    a service role to its owner, or to a superuser.

    ## Example
    ```sql
    CREATE FUNCTION app.touch() RETURNS void LANGUAGE sql SECURITY DEFINER
        AS 'UPDATE users SET seen_at = now()';
    ```

    ## Use instead
    ```sql
    CREATE FUNCTION app.touch() RETURNS void LANGUAGE sql SECURITY DEFINER
        SET search_path = app, pg_temp
        AS 'UPDATE users SET seen_at = now()';
    ```

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: error.
    """

    code = "SEC006"
    name = "definer-without-search-path"
    object_kind = "function"

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        owners = ctx.owners
        for function in ctx.catalog.functions.values():
            if not function.security_definer or function.schema not in owners:
                continue
            if any(setting.startswith("search_path=") for setting in function.config):
                continue
            kind = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
            target = f"{quote_qualified(function.schema, function.name)}({function.arguments})"
            sql = (
                f"ALTER {kind} {target} SET search_path = {quote_ident(function.schema)}, pg_temp;"
            )
            yield self.finding(
                f"{function.kind.capitalize()} {function.path} is SECURITY DEFINER without a "
                "fixed search_path: a caller's search_path chooses what its names mean",
                f"Pin it: {sql}",
                object=function.path,
                fix=Fix(
                    sql,
                    review=f"unqualified names in its body must then live in {function.schema} "
                    "or pg_catalog",
                ),
            )
