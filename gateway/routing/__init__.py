"""Which bank, through which connector, serves a payment: read from config/banks/*.toml."""
