# The two quick-start commands are `make run` and `make test`; everything they
# need (virtual environment, packages, official XSDs) is set up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := var/demo

.PHONY: setup run test bench clean

setup: $(STAMP) schemas/xsd/.synced

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

schemas/xsd/.synced: $(STAMP) schemas/catalog.toml
	$(BIN)/gateway schemas sync
	touch $@

# The gateway's main job: first the ISO 20022 core on bundled examples (wallet
# payments in JSON → pain.001, validated; a wallet ledger → camt.053, read back),
# then the service on its embedded default (SQLite under var/, schema migrated,
# demo wallet client, account holder and bank accounts seeded) with one outbox worker
# delivering to the sandbox bank, until Ctrl-C.
run: setup
	@mkdir -p $(OUT)
	$(BIN)/gateway build --type pain.001 --version 09 --input examples/payments.json > $(OUT)/pain.001.xml
	$(BIN)/gateway validate --profile sepa --no-date-rules $(OUT)/pain.001.xml
	$(BIN)/gateway build --type camt.053 --version 08 --input examples/ledger.json > $(OUT)/camt.053.xml
	$(BIN)/gateway validate $(OUT)/camt.053.xml
	$(BIN)/gateway parse $(OUT)/camt.053.xml > $(OUT)/camt.053.json
	@echo "--- examples/broken-pain.001.xml is broken on purpose; this is what the validator says (exit 1 is expected):"
	-$(BIN)/gateway validate --profile sepa --no-date-rules examples/broken-pain.001.xml
	@echo "--- Built, validated and parsed files are in $(OUT)/; try: $(BIN)/gateway --help"
	$(BIN)/gateway demo seed
	$(BIN)/gateway serve --worker

test: setup
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) schemas/xsd var bench/out
