"""MIG004: a column or table dropped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from schemakit.conventions import quote_qualified
from schemakit.rules._base import Finding, Severity
from schemakit.rules._statements import SqlContext, SqlRule, names, object_path, relation_path
from schemakit.sql import Statement


class DropColumnOrTable(SqlRule):
    """Column or table dropped without a waiting period after it was deprecated.

    ## What it does
    Flags `ALTER TABLE ... DROP COLUMN` and `DROP TABLE`, unless an earlier migration marked
    the column or table deprecated with a comment that says so:
    ```sql
    COMMENT ON COLUMN storage.files.legacy_path IS 'deprecated: unused since release 42';
    ```
    (the comment starts with "deprecated", any case; a later comment that does not takes
    the mark back)
    and, when both migrations are dated (drizzle-kit's journal, or a date the file name
    starts with: `20261101_...`), at least `drop-wait-days` (`[lint]`, default 7) lie
    between that comment and the drop. Undated migrations need only the earlier mark: they
    are different releases. A table made by the same file may be dropped there.

    ## Why is this bad?
    Code still deployed reads the column or table until the new release is everywhere; the
    drop breaks it, and the data is gone with no way back. The guideline says to wait 1-2
    weeks (expand-contract): stop using it in one release, drop it in a later one. The
    comment records the first step where the database (and the next reader) can see it.

    ## Example
    ```sql
    ALTER TABLE storage.files DROP COLUMN legacy_path;
    ```

    ## Use instead
    Stop reading and writing the column, and mark it in that release's migration:
    ```sql
    COMMENT ON COLUMN storage.files.legacy_path IS 'deprecated';
    ```
    then drop it in a migration of a later release, `drop-wait-days` or more after.

    ## Guideline
    Migrations, DON'T: "Drop columns immediately (wait 1-2 weeks)"; Key Concepts,
    "Zero-downtime: Use expand-contract pattern".
    """

    code = "MIG004"
    name = "drop-column-or-table"
    object_kind = "table"
    severity = Severity.WARNING

    kinds = frozenset({"AlterTableStmt", "DropStmt", "CommentStmt"})
    alter_subtypes = frozenset({"AT_DropColumn"})

    def __init__(self) -> None:
        self._deprecated: dict[str, tuple[Path, datetime | None]] = {}
        """column or table -> the file that marked it deprecated, and that file's date."""

    def check(self, ctx: SqlContext, statement: Statement) -> Iterator[Finding]:
        node = statement.node
        if statement.kind == "CommentStmt":
            self._comment(ctx, statement)
            return
        if statement.kind == "AlterTableStmt":
            table = relation_path(node.get("relation"))
            for item in node.get("cmds") or ():
                cmd = item.get("AlterTableCmd", {})
                if cmd.get("subtype") == "AT_DropColumn":
                    yield from self._dropped(ctx, statement, "Column", f"{table}.{cmd.get('name')}")
        elif node.get("removeType") == "OBJECT_TABLE":
            for item in node.get("objects") or ():
                path = object_path(names(item.get("List", {}).get("items")))
                yield from self._dropped(ctx, statement, "Table", path)

    def _comment(self, ctx: SqlContext, statement: Statement) -> None:
        node = statement.node
        if node.get("objtype") not in ("OBJECT_COLUMN", "OBJECT_TABLE"):
            return
        parts = names(node.get("object", {}).get("List", {}).get("items"))
        if node.get("objtype") == "OBJECT_TABLE":
            path = object_path(parts)
        else:  # a column: its table's path, then its name
            path = f"{object_path(parts[:-1])}.{parts[-1]}"
        # the comment must say so first: 'no longer deprecated: ...' is no mark
        if str(node.get("comment") or "").lstrip().lower().startswith("deprecated"):
            self._deprecated[path] = (ctx.path, ctx.when)
        else:
            self._deprecated.pop(path, None)  # a new comment takes the mark back

    def _dropped(
        self, ctx: SqlContext, statement: Statement, kind: str, path: str
    ) -> Iterator[Finding]:
        if not ctx.is_existing(path if kind == "Table" else path.rsplit(".", 1)[0]):
            return  # made by this same file: no deployed code knows it
        marked = self._deprecated.get(path)
        wait = ctx.drop_wait_days
        if marked is None or marked[0] == ctx.path:
            what = kind.lower()
            later = f", {wait} or more days after" if wait else ""
            quoted = quote_qualified(*path.split("."))
            yield self.finding(
                f"{kind} {path} is dropped"
                + (" in the migration that deprecated it" if marked else ""),
                f"Stop using the {what} and mark it in an earlier migration (COMMENT ON "
                f"{what.upper()} {quoted} IS 'deprecated'); drop it in a later release{later} "
                "(expand-contract).",
                object=path,
                kind=kind.lower(),
                location=self.at(statement),
                service=ctx.service,
            )
            return
        since = marked[1]
        if since is None or ctx.when is None or wait == 0:
            return
        days = (ctx.when - since).days
        if days < wait:
            yield self.finding(
                f"{kind} {path} is dropped {days} day(s) after {marked[0].name} deprecated "
                f"it; the waiting period is {wait}",
                f"Move the drop to a migration written {wait} or more days after "
                f"{marked[0].name} (drop-wait-days in [lint]).",
                object=path,
                kind=kind.lower(),
                location=self.at(statement),
                service=ctx.service,
            )
