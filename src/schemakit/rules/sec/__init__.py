"""SEC: the schema as a security boundary, not only a naming habit."""
