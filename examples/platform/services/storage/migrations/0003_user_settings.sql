-- One settings row per user, written with upsert (INSERT ... ON CONFLICT (user_id)).
CREATE TYPE storage.theme AS ENUM ('light', 'dark');

CREATE TABLE storage.user_settings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    theme storage.theme NOT NULL DEFAULT 'light',
    preferences jsonb NOT NULL DEFAULT '{}'::jsonb,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_settings_user_id_key UNIQUE (user_id)
);
