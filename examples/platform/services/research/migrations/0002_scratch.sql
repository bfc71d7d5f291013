-- The research service's shortcuts: each one a DELIBERATE violation for the demo.

-- DELIBERATE (ISO001, MIG009): unqualified, so it lands wherever search_path points: public.
CREATE TABLE query_tags (
    query_id uuid NOT NULL REFERENCES research.queries (id) ON DELETE CASCADE,
    tag text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (query_id, tag)
);

-- DELIBERATE (ISO003, MIG009): a trigger function created unqualified lands in public.
CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- DELIBERATE (ISO004, ISO005): a scratch schema nobody registered.
-- DELIBERATE (TYP003, COL001): an identity key and no created_at/updated_at on its table.
CREATE SCHEMA research_scratch;
CREATE TABLE research_scratch.import_rows (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload jsonb NOT NULL
);

-- A known exception, suppressed inline with the reason next to it:
-- the legacy importer reads this sequence from public until it is retired.
-- schemakit: ignore[ISO003]
CREATE SEQUENCE public.legacy_import_seq;
