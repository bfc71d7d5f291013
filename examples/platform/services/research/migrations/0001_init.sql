CREATE SCHEMA IF NOT EXISTS research;

CREATE TABLE research.queries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    question text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_queries_user_id ON research.queries (user_id);
