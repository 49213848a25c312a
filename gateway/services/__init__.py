"""Use cases: initiate payments, ingest files, status reports and statements, reconcile."""
