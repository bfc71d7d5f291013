-- The sources a research query cites, written in a hurry: DELIBERATE violations of the
-- naming (NAM), type (TYP), column (COL) and index (IDX) conventions, for the demo.

-- DELIBERATE (NAM002): a singular table name; the guideline's tables are plural.
CREATE TABLE research.source (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- DELIBERATE (IDX001): no index leads with query_id, so deleting a query scans sources.
    query_id uuid NOT NULL REFERENCES research.queries (id) ON DELETE CASCADE,
    -- DELIBERATE (TYP001): Better Auth user ids are not UUIDs; the first insert fails.
    user_id uuid NOT NULL,
    url text NOT NULL,
    -- DELIBERATE (TYP004): json, where jsonb is meant.
    extract json,
    -- DELIBERATE (NAM004): a boolean named without is_/has_.
    pinned boolean NOT NULL DEFAULT false,
    -- DELIBERATE (COL003): soft-deleted, but no deleted_at says when.
    is_deleted boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- DELIBERATE (IDX002): a leading prefix of the next index, which serves the same lookups.
CREATE INDEX idx_source_user_id ON research.source (user_id);
CREATE INDEX idx_source_user_id_created_at ON research.source (user_id, created_at);

-- DELIBERATE (NAM008): PostgreSQL's naming habit, not the guideline's idx_{table}_{cols}.
CREATE INDEX source_url_idx ON research.source (url);
