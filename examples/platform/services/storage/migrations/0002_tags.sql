-- Tags and the file_tags junction table ({entity1}_{entity2}).
CREATE TABLE storage.tags (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    name varchar(100) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tags_user_id ON storage.tags (user_id);

CREATE TABLE storage.file_tags (
    file_id uuid NOT NULL REFERENCES storage.files (id) ON DELETE CASCADE,
    tag_id uuid NOT NULL REFERENCES storage.tags (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT file_tags_pkey PRIMARY KEY (file_id, tag_id)
);
CREATE INDEX idx_file_tags_tag_id ON storage.file_tags (tag_id);
