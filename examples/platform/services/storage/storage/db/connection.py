"""The connection singleton (the guideline's getDb): one pool per DATABASE_URL."""

import os

from schemakit.db import Database


def get_db() -> Database:
    return Database.get(os.environ["DATABASE_URL"])
