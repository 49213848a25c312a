"""Alembic environment and revisions for the gateway's database (run through
``gateway.persistence.migrate``; no alembic.ini needed).  A package so that the
revisions ship with the code."""
