"""COL: the columns every table carries, and the shape of its flags."""
