-- auth: users and sessions (Better Auth ids are text, not uuid).
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.users (
    id text PRIMARY KEY,
    email text NOT NULL UNIQUE,
    email_verified boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_sessions_user_id ON auth.sessions (user_id);
