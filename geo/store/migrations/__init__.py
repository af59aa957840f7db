"""The store's schema migrations (Alembic), run by `geo.store.migrate` when a store is
opened. Each revision in ``versions/`` works on SQLite and on PostgreSQL."""
