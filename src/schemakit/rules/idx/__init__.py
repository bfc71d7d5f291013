"""IDX: indexes that are missing or redundant."""
