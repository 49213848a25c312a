"""Kept for imports written before the move: message identifiers live in the domain."""

from gateway.domain.messages import NAMESPACE_PREFIX, ROOT_ELEMENTS, MessageType

__all__ = ["NAMESPACE_PREFIX", "ROOT_ELEMENTS", "MessageType"]
