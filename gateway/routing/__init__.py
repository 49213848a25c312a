"""Which bank, through which connector, serves a payment: read from config/banks/*.toml.

    banks = load_banks("config/banks")          # checked BankProfiles of the enabled banks
    router = Router(banks)
    bank = router.route(info.debtor_account)    # by IBAN country + national bank code
    router.require(bank, batch)                 # raises CapabilityMismatch with findings
    connector = registry.create(bank.id, bank.connector_type, bank.connector_settings)
"""

from gateway.routing.banks import BankProfile, iban_bank_code, load_banks, read_bank
from gateway.routing.capabilities import check_payment_batch, check_payment_information
from gateway.domain.countries import account_country, in_sepa_zone, is_cross_border
from gateway.routing.errors import CapabilityMismatch, MixedRoutes, NoRoute, RoutingConfigError, UnknownBank
from gateway.routing.mapping_dir import MappingDirectory
from gateway.routing.router import Router

__all__ = [
    "BankProfile", "CapabilityMismatch", "MappingDirectory", "MixedRoutes", "NoRoute", "Router",
    "RoutingConfigError", "UnknownBank", "account_country", "check_payment_batch", "check_payment_information",
    "iban_bank_code", "in_sepa_zone", "is_cross_border", "load_banks", "read_bank",
]
