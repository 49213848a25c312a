"""Storage for the gateway service: SQLAlchemy 2 models, Alembic migrations and
small repositories, one code path for SQLite (the embedded default) and PostgreSQL.

This package sits *outside* the pure core: ``gateway.domain``, ``gateway.iso20022``
and ``gateway.mapping`` never import it (import-linter enforces that); the
services layer uses the repositories and owns the transactions
(``with database.transaction() as session: Consents(session)...``).
"""
