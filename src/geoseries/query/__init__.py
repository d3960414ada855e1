"""Dialect-neutral queries and use cases over the Store."""
