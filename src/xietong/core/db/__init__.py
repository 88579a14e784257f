"""Database backends of our own (see ``sqlite3``)."""
