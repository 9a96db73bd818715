# One obvious way to do each thing. `make help` lists them.
# Every target sets up what it needs first (Python 3.10 venv, packages, spaCy pipeline, model).

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
RASA  := $(PY) -m rasa
SPACY_PIPELINE := var/spacy/en_blank_lookup_v1
MODEL := models/clinic-bot.tar.gz
AXE   := tests/browser/node_modules/axe-core/axe.min.js
# The trained classifier depends on its own code too (bot/nlu): a change there retrains. The
# folders are inputs as well: removing a training file changes only its folder's time.
TRAINING_INPUTS := config.yml domain.yml $(wildcard data/*/*.yml) $(wildcard data/*/) $(wildcard bot/nlu/*.py)

export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL=2
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export BOT_PORT ?= 5005
export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook

.DEFAULT_GOAL := help
.PHONY: help run cluster cluster-test cluster-bench shell check test eval stability crossval bench report purge validate train setup lock clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

run: $(MODEL) ## Set up, train if needed, then run the bot (port $BOT_PORT, default 5005)
	$(PY) -m bot run --model $(MODEL)

cluster: $(MODEL) ## Several instances behind haproxy (needs BOT_DATABASE_URL=postgresql://..., Redis; docs/deploy.md)
	$(PY) -m bot cluster --model $(MODEL)

cluster-test: $(MODEL) ## Only the scale-out tests: locks, limits, PostgreSQL, instances killed and stopped
	$(PY) -m pytest tests/scale

cluster-bench: $(MODEL) ## Two instances against one, same run: turns/s, p50, p95; and the lock harness (prints numbers)
	$(PY) -m tools.cluster_bench
	$(PY) -m tools.lock_harness

shell: $(MODEL) ## Chat with the bot in this terminal
	$(RASA) shell --model $(MODEL) --endpoints endpoints.yml

check: $(VENV)/.installed ## Lint, type check and the unit tests: no model, no server (under a minute)
	$(VENV)/bin/ruff check bot actions tools tests
	$(VENV)/bin/ruff format --check bot actions tools tests
	$(VENV)/bin/mypy
	$(PY) -m pytest tests/unit -q

test: $(MODEL) $(AXE) ## Set up, train if needed, then run the whole test suite (unit, model and server tiers)
	$(PY) -m pytest

eval: $(MODEL) ## Accuracy and safety recall on the held-out sets, through a running bot's REST channel
	$(PY) -m tools.evaluate

K ?= 5
stability: $(VENV)/.installed $(SPACY_PIPELINE) ## Retrain K times (K=5), each without a random 1% of the examples; how many answers change
	K=$(K) $(PY) -m tools.stability

FOLDS ?= 5
crossval: $(SPACY_PIPELINE) ## Rasa NLU cross-validation on the training data (FOLDS=5)
	$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds $(FOLDS) --out var/crossval

bench: $(MODEL) ## Side by side with Rasa's default configuration: training, start-up, memory, load (prints numbers)
	$(PY) -m tools.bench

DAYS ?=
report: $(VENV)/.installed ## Staff report of the stored conversations to report.html (DAYS=7: last 7 days only)
	$(PY) -m bot report --out report.html $(if $(DAYS),--since $(DAYS))

purge: $(VENV)/.installed ## Delete conversations older than retention_days in endpoints.yml (DRY_RUN=1: only count)
	$(PY) -m bot purge $(if $(DRY_RUN),--dry-run)

validate: setup ## Check the training data and domain for conflicts
	$(RASA) data validate --fail-on-warnings

train: $(MODEL) ## Train the model (only when data, domain or config changed)

setup: $(VENV)/.installed $(SPACY_PIPELINE) $(AXE) ## Create the Python 3.10 venv and install locked packages

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || { python310=$$(scripts/find-python310.sh) && "$$python310" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade "pip==24.0"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# axe-core (the accessibility checks) and rasa-webchat 1.0.1 (a third-party socket.io client)
# come from the npm registry and are served to the test browser from disk; no install script
# runs. Without npm those browser checks are skipped, not the suite.
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --silent; \
	else echo "npm not found: the accessibility and rasa-webchat checks will be skipped"; fi

$(SPACY_PIPELINE): $(VENV)/.installed bot/spacy_pipeline.py
	$(PY) -m bot build-spacy --out $@

# --skip-validation: `rasa train` would otherwise read every training file twice, once to
# validate and once to train. The stricter check (`make validate`, warnings as errors) runs
# in `make test` (tests/model/test_data_validate.py) and stops a bad change there.
$(MODEL): $(VENV)/.installed $(SPACY_PIPELINE) $(TRAINING_INPUTS)
	$(RASA) train --config config.yml --domain domain.yml --data data \
		--out models --fixed-model-name clinic-bot --skip-validation
	@touch $@  # Rasa leaves the file alone when its own fingerprint says nothing changed

lock: ## Re-lock every package version after changing pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	{ echo "# Locked versions of every package the bot and its tests need (Python 3.10)."; \
	  echo "# Regenerate with 'make lock' after changing pyproject.toml."; \
	  $(PY) -m pip freeze --exclude-editable; } > requirements.lock

clean: ## Remove the trained model and built pipeline (keeps the venv and conversations)
	rm -rf models .rasa var/spacy var/crossval results
