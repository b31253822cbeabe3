"""The database (engine, retries, migrations), its tables, document storage, and the
embedded PostgreSQL."""
