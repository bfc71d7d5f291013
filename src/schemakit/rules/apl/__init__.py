"""APL: the migrations apply, in order, to the database their predecessors produce, and
produce what the service's sources declare."""
