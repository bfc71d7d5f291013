CREATE TABLE storage.tags (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    name varchar(100) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- DELIBERATE (ISO001): unqualified, so it lands wherever search_path points: public.
CREATE TABLE file_tags (
    file_id uuid NOT NULL REFERENCES storage.files (id) ON DELETE CASCADE,
    tag_id uuid NOT NULL REFERENCES storage.tags (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (file_id, tag_id)
);

-- DELIBERATE (ISO003): a trigger function created unqualified lands in public.
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- DELIBERATE (ISO004, ISO005): a scratch schema nobody registered.
CREATE SCHEMA storage_scratch;
CREATE TABLE storage_scratch.import_rows (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload jsonb NOT NULL
);

-- A known exception, suppressed inline with the reason next to it:
-- the legacy importer reads this sequence from public until it is retired.
-- schemakit: ignore[ISO003]
CREATE SEQUENCE public.legacy_import_seq;
