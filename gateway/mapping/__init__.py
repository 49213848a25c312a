"""Declarative mappings between the canonical model and ISO 20022 message versions.

A mapping file (``mappings/<message id>.yaml``) lists, per model type, which XML
path holds which field.  ``compile`` turns it once into generated Python
functions that write and read the message, so no mapping is interpreted per
element per payment.
"""

from gateway.mapping.registry import MappingRegistry, default_mappings
from gateway.mapping.spec import MappingError, MappingSpec, Rule, load_spec

__all__ = ["MappingError", "MappingRegistry", "MappingSpec", "Rule", "default_mappings", "load_spec"]
