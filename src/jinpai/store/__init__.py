"""The application database: SQLAlchemy models, Alembic migrations and repositories.

Configuration and people only (shops, roster and versioned pay terms, KPI plans, grading rules,
pay settings and adjustments, users, tokens, import history); event data lives in the warehouse.

Modules: ``db`` (engines, sessions), ``migrate`` (upgrade/current), ``models``, and the
repositories ``shops``, ``roster``, ``config``, ``adjustments``, ``users``, ``imports``.
"""
