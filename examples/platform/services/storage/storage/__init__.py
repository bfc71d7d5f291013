"""The storage service: files, folders and tags, on schemakit's data layer."""
