"""NAM003: a junction table not named after the two tables it links."""

from __future__ import annotations

from collections.abc import Iterator

from schemakit.catalog import ForeignKey, Table
from schemakit.conventions import singular, singular_forms
from schemakit.rules._base import CatalogContext, CatalogRule, Finding, Severity
from schemakit.rules._scope import checked_tables


class MisnamedJunctionTable(CatalogRule):
    """Junction table not named after the two tables it links.

    ## What it does
    A junction table is one whose primary key is exactly two columns, each a single-column
    foreign key, to two different tables. Flags one whose name is not `{a}_{b}` for those
    tables `a` and `b`, in either order, where the first may be singular: linking `files`
    and `tags`, `file_tags`, `files_tags` and `tag_files` all pass. A table linking a table to
    itself (followers) is not checked: there is no `{a}_{b}` to compare with.

    ## Why is this bad?
    The name is how a reader finds the link between two entities. `file_tags` says what it
    joins; `labels_map` or `assignments` must be opened to be understood, and a second
    junction between the same tables under another name goes unnoticed.

    ## Example
    ```sql
    CREATE TABLE storage.labelling (
        file_id uuid REFERENCES storage.files (id),
        tag_id uuid REFERENCES storage.tags (id),
        PRIMARY KEY (file_id, tag_id)
    );
    ```

    ## Use instead
    ```sql
    CREATE TABLE storage.file_tags (...same columns...);
    ```

    ## Guideline
    Naming Conventions, Tables: "Junction tables: {entity1}_{entity2}" (`file_tags`,
    `user_roles`). Severity: warning.
    """

    code = "NAM003"
    name = "misnamed-junction-table"
    object_kind = "table"
    severity = Severity.WARNING

    def check(self, ctx: CatalogContext) -> Iterator[Finding]:
        for table in checked_tables(ctx):
            pair = _linked_tables(table)
            if pair is None:
                continue
            first, second = pair
            if first.ref_table == second.ref_table:
                continue
            if _named_after(table.name, first.ref_table, second.ref_table):
                continue
            expected = f"{singular(first.ref_table)}_{second.ref_table}"
            yield self.finding(
                f"Junction table {table.path} links {first.ref_path} and {second.ref_path} "
                f"but is not named after them",
                f"Rename the table to {expected}.",
                object=table.path,
            )


def _linked_tables(table: Table) -> tuple[ForeignKey, ForeignKey] | None:
    key = table.primary_key
    if len(key) != 2:
        return None
    found: list[ForeignKey] = []
    for column in key:
        fk = next((fk for fk in table.foreign_keys if fk.columns == (column,)), None)
        if fk is None:
            return None
        found.append(fk)
    return found[0], found[1]


def _named_after(name: str, a: str, b: str) -> bool:
    return any(
        name == f"{head}_{right}"
        for left, right in ((a, b), (b, a))
        for head in singular_forms(left)
    )
