-- storage: the guideline's files / folders / file_tags tables (Table Definition Pattern).
CREATE SCHEMA IF NOT EXISTS storage;

CREATE TABLE storage.folders (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    parent_folder_id uuid REFERENCES storage.folders (id) ON DELETE SET NULL,
    name varchar(500) NOT NULL,
    is_deleted boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_folders_user_id ON storage.folders (user_id);
CREATE INDEX idx_folders_parent_folder_id ON storage.folders (parent_folder_id);

CREATE TABLE storage.files (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    parent_folder_id uuid REFERENCES storage.folders (id) ON DELETE SET NULL,
    name varchar(500) NOT NULL,
    mime_type varchar(255) NOT NULL,
    size bigint NOT NULL,
    storage_path varchar(1000) NOT NULL,
    storage_key varchar(500) NOT NULL UNIQUE,
    description text,
    is_favorite boolean NOT NULL DEFAULT false,
    is_public boolean NOT NULL DEFAULT false,
    is_deleted boolean NOT NULL DEFAULT false,
    deleted_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_files_user_id ON storage.files (user_id);
CREATE INDEX idx_files_parent_folder_id ON storage.files (parent_folder_id);
CREATE INDEX idx_files_created_at ON storage.files (created_at);
