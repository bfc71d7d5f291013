"""SEC009: a function in a service's schema, or a trigger on its tables, whose function is
owned by a role other than the service's owner role."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.conventions import quote_qualified
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Fix, quote_ident
from schemakit.rules.sec._roles import expected_owner


class ForeignFunctionOwner(CatalogRule):
    """A function or trigger in a service's schema runs code another role owns.

    ## What it does
    Flags each function and procedure in a service's schema owned by anything but the
    service's owner role (`owner-role`, by default `<role>_owner`; for a service without a
    `role`, the schema's owner), and each trigger on a service's table whose function lives
    elsewhere and is owned by anything but that role. Read from a live database; in a
    replay of the migrations the superuser that runs them stands in for the owner role, and
    until the owner role exists `role` and the migrating role pass (as in SEC008). The fix
    hands a function of the service's own schema over; a trigger calling another schema's
    function names what to change.

    ## Why is this bad?
    Whoever owns a function decides what it does (`CREATE OR REPLACE`), and a trigger runs
    its function on every write to the table: as whoever writes it, or as the function's
    owner when it is `SECURITY DEFINER`. A trigger function owned by a service login or by
    another service runs that role's code in this service's transactions, the next
    migration's among them: the way from a service login up to the role that migrates.

    ## Example
    ```sql
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS '...';
    ALTER FUNCTION app.touch() OWNER TO billing_svc;
    CREATE TRIGGER touch BEFORE UPDATE ON app.notes
        FOR EACH ROW EXECUTE FUNCTION app.touch();
    ```

    ## Use instead
    ```sql
    ALTER FUNCTION app.touch() OWNER TO app_svc_owner;
    ```

    ## Guideline
    Schema Isolation (pgSchema): "The Postgres schema acts as a namespace and as an RLS
    boundary". Severity: error.
    """

    code = "SEC009"
    name = "foreign-function-owner"
    object_kind = "function"
    needs_registry = True

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        catalog = ctx.catalog
        if not catalog.roles:
            return  # not a live database: owners are not known
        for function in catalog.functions.values():
            if function.kind not in ("function", "procedure"):
                continue
            found = expected_owner(ctx, function.schema)
            if found is None or function.owner is None or function.owner in found[1]:
                continue
            expected = found[0]
            kind = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
            target = f"{quote_qualified(function.schema, function.name)}({function.arguments})"
            sql = f"ALTER {kind} {target} OWNER TO {quote_ident(expected)};"
            yield self.finding(
                f"{function.kind.capitalize()} {function.path} is owned by {function.owner}, "
                f"not by {expected}, who should own schema {function.schema}",
                f"Hand it over: {sql}",
                object=function.path,
                fix=Fix(sql, review=f"{function.owner} can no longer redefine it"),
            )
        for trigger in catalog.triggers.values():
            found = expected_owner(ctx, trigger.schema)
            if found is None or trigger.function_schema == trigger.schema:
                continue  # a function of its own schema is judged above
            owner, (expected, accepted) = trigger.function_owner, found
            if owner is None or owner in accepted:
                continue
            table = quote_qualified(trigger.schema, trigger.table)
            yield self.finding(
                f"Trigger {trigger.name} on {trigger.schema}.{trigger.table} runs "
                f"{trigger.function}(), owned by {trigger.function_owner}, not by {expected}",
                f"Give the trigger a function of schema {trigger.schema}, owned by {expected}, "
                f"or drop it: DROP TRIGGER {quote_ident(trigger.name)} ON {table};",
                object=f"{trigger.schema}.{trigger.table}",
                kind="table",
            )
