"""MIG: migration safety, over the statement stream."""
