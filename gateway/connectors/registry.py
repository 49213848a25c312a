"""Connector types by name, as written in ``config/banks/*.toml`` (``connector.type``).

Modules are imported on first use, so a deployment that never talks to a bank
over HTTP never imports the HTTP client."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from gateway.connectors.base import Connector, ConnectorConfigError

TYPES: dict[str, str] = {
    "sandbox": "gateway.connectors.sandbox:SandboxConnector",
    "iso20022-http": "gateway.connectors.iso20022_http:Iso20022HttpConnector",
    "file-drop": "gateway.connectors.file_drop:FileDropConnector",
    "bank-api": "gateway.connectors.bank_api:BankApiConnector",
}


def connector_class(type_name: str) -> type[Connector]:
    try:
        module, _, name = TYPES[type_name].partition(":")
    except KeyError:
        raise ConnectorConfigError(f"unknown connector type {type_name!r}; known: {', '.join(sorted(TYPES))}",
                                   code="unknown_connector_type") from None
    return getattr(importlib.import_module(module), name)


def create(bank_id: str, type_name: str, settings: Mapping[str, Any]) -> Connector:
    return connector_class(type_name)(bank_id=bank_id, settings=dict(settings))
