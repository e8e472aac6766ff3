"""Alembic migration environment of the application database (run through jinpai.store.migrate)."""
