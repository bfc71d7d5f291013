"""Data layer of the storage service."""
