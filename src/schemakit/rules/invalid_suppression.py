"""SUP002: an inline suppression that names no rule."""

from __future__ import annotations

from schemakit.rules._base import Rule, Severity


class InvalidSuppression(Rule):
    """Suppression comment that names no rule.

    ## What it does
    Reports a `-- schemakit: ignore[...]` comment whose entries are not rule codes or
    prefixes (`IS0001` with a zero, `ISO-001`, `ISO999`), or a `schemakit:` comment that is not
    an `ignore[...]` at all.

    ## Why is this bad?
    The author meant to silence a finding and believes it is silenced; a misspelled code
    silences nothing, and nobody notices until the finding shows up in CI.

    ## Example
    ```sql
    -- schemakit: ignore[IS0001]
    CREATE TABLE legacy_users (id uuid);
    ```

    ## Use instead
    ```sql
    -- schemakit: ignore[ISO001]
    CREATE TABLE legacy_users (id uuid);
    ```

    ## Guideline
    None directly: it keeps the other rules honest.
    """

    code = "SUP002"
    name = "invalid-suppression"
    meta = "invalid-suppression"
    severity = Severity.WARNING
