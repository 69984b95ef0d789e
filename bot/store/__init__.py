"""The store: SQLAlchemy tables, Alembic migrations and the queries each stage needs."""
