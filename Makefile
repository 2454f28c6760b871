# The two commands of the README: `make demo` and `make test`.
# Each installs what is missing (virtualenv, Python packages, Asterisk, SIPp, Chromium and a
# CJK font for the console's browser tests, espeak-ng and sox for the Mandarin stand-in prompts,
# baresip and fail2ban for the softphone tests, Kamailio for the cluster's tests, and PostgreSQL
# when the tests have no server to use), then runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test unit bench bench-cluster install asterisk browser prompts softphones postgresql kamailio clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

asterisk:
	@bash tools/install-asterisk.sh

browser:
	@bash tools/install-browser.sh

# espeak-ng and sox, then the stand-in prompts the shipped rules name, in the default data folder
# ($IVR_DATA_DIR, var/): so `ivr rules check routing_rules.yaml` finds them after `make demo` or
# `make test` (the demo and the tests build their own in their own folders)
prompts: install
	@bash tools/install-prompts.sh
	$(BIN)/ivr prompts build

postgresql:
	@bash tools/install-postgresql.sh

softphones:
	@bash tools/install-softphones.sh

# the cluster's SIP front (ivr/cluster/, tests/cluster/): Debian's kamailio, its service not started
kamailio:
	@bash tools/install-kamailio.sh

demo: install asterisk browser prompts
	$(BIN)/ivr demo

# The end-to-end tests (one real Asterisk at a time, in order) and the others side by side, in
# two pytest processes: tools/run-tests.sh.
test: install asterisk browser prompts softphones postgresql kamailio
	@PYTHON=$(BIN)/python bash tools/run-tests.sh

unit: install prompts postgresql kamailio
	$(BIN)/python -m pytest -m 'not asterisk'

bench: install asterisk prompts
	$(BIN)/ivr bench

# the dispatcher's cost: straight to one node against through Kamailio to 1, 2 and 3 (root; a lab of its own)
bench-cluster: install asterisk prompts kamailio
	$(BIN)/ivr bench cluster

clean:
	rm -rf $(VENV) build *.egg-info
