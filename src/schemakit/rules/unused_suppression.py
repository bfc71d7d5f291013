"""SUP001: a suppression that matched no finding."""

from __future__ import annotations

from schemakit.rules._base import Rule, Severity


class UnusedSuppression(Rule):
    """Suppression that matches no finding.

    ## What it does
    Reports an inline `-- schemakit: ignore[CODE]` comment, or a `per-object-ignores` entry in
    the config, that suppressed nothing in this run.

    ## Why is this bad?
    A stale suppression hides the next real problem at the same place, and tells readers a
    rule fires where it no longer does.

    ## Example
    ```sql
    -- schemakit: ignore[ISO001]
    CREATE TABLE auth.users (id uuid PRIMARY KEY);  -- not in public: nothing to ignore
    ```

    ## Use instead
    Remove the comment or the config entry.

    ## Guideline
    None directly: it keeps the other rules honest.
    """

    code = "SUP001"
    name = "unused-suppression"
    meta = "unused-suppression"
    severity = Severity.WARNING
