"""APL: the migrations apply, in order, to the database their predecessors produce."""
