"""MIG020: a CHECK constraint on a domain."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.rules._base import Finding, Severity
from schemakit.rules._sql import SqlContext, SqlRule, names, object_path
from schemakit.sql import Statement


class DomainConstraint(SqlRule):
    """`CREATE DOMAIN ... CHECK` or `ALTER DOMAIN ... ADD CONSTRAINT`.

    ## What it does
    Flags a `CHECK` in `CREATE DOMAIN` and every `ALTER DOMAIN ... ADD CONSTRAINT` (with
    or without `NOT VALID`).

    ## Why is this bad?
    A domain's constraint cannot be changed the online way a table's can: `ALTER DOMAIN ...
    ADD CONSTRAINT` checks every row of every column of the domain, in every table, under
    SHARE (writes wait) for the whole scan; a `NOT VALID` one must be validated the same
    way later; and changing the rule means dropping and re-adding it on every table at once.
    A `CHECK` on the table's column can be added `NOT VALID` and validated under SHARE
    UPDATE EXCLUSIVE, per table.

    ## Example
    ```sql
    CREATE DOMAIN storage.positive AS integer CHECK (VALUE > 0);
    ```

    ## Use instead
    ```sql
    CREATE DOMAIN storage.positive AS integer;      -- or the base type
    ALTER TABLE storage.files ADD CONSTRAINT files_size_positive CHECK (size > 0) NOT VALID;
    ALTER TABLE storage.files VALIDATE CONSTRAINT files_size_positive;  -- next migration
    ```

    ## Guideline
    Key Concepts, "Zero-downtime: Use expand-contract pattern for breaking schema changes";
    Best Practices, "Keep migrations small and focused".
    """

    code = "MIG020"
    name = "domain-constraint"
    object_kind = "type"
    severity = Severity.WARNING

    kinds = frozenset({"CreateDomainStmt", "AlterDomainStmt"})

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        if statement.kind == "CreateDomainStmt":
            domain = object_path(names(node.get("domainname")))
            checks = [
                c
                for c in node.get("constraints") or ()
                if c.get("Constraint", {}).get("contype") == "CONSTR_CHECK"
            ]
            if not checks:
                return
            message = (
                f"CREATE DOMAIN {domain} with a CHECK: changing it later means checking every "
                "column of the domain, in every table, at once"
            )
        else:
            if node.get("subtype") != "C":
                return
            domain = object_path(names(node.get("typeName")))
            message = (
                f"ALTER DOMAIN {domain} ADD CONSTRAINT checks every row of every column of "
                "the domain, in every table, under SHARE (writes wait)"
            )
        yield self.finding(
            message,
            "Put the CHECK on the table's column instead (NOT VALID, then VALIDATE).",
            object=domain,
            location=self.at(statement),
            service=ctx.service,
        )
