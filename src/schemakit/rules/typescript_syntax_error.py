"""SYN002: a Drizzle source file TypeScript's grammar rejects."""

from __future__ import annotations

from schemakit.rules._base import Rule, Severity


class TypeScriptSyntaxError(Rule):
    """A Drizzle TypeScript file that tree-sitter cannot parse, at the first error.

    ## What it does
    Reports the first place in a service's Drizzle sources (or a file the stray `pgTable(`
    check reads) that TypeScript's grammar rejects. The file's declarations are still read
    as far as the parser got, so a raw `pgTable(` before the error is still reported.

    ## Why is this bad?
    Declarations after the error may be missing from what schemakit checks, without a word:
    the file that does not parse would also fail `tsc` and `drizzle-kit generate`, so the
    sources and the migrations drift apart until someone notices.

    ## Example
    ```ts
    export const users = authSchema.table('users', {
      id: text('id').primaryKey(),
    ;
    ```

    ## Use instead
    ```ts
    export const users = authSchema.table('users', {
      id: text('id').primaryKey(),
    });
    ```

    ## Guideline
    Schema Definition: every service declares its tables in TypeScript with Drizzle (what
    does not parse declares nothing).
    """

    code = "SYN002"
    name = "typescript-syntax-error"
    meta = "typescript-syntax"
    severity = Severity.ERROR
