"""Per-bank connectors behind one interface (:mod:`gateway.connectors.base`)."""
