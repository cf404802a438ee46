# Relocbot — the two commands a newcomer needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export ORT_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run test check bench eval vectors soak soak-saturation clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install  ## the bot: channels when configured, otherwise a terminal chat
	$(VENV)/bin/relocbot run

test: install  ## the whole test suite, offline
	$(PY) -m pytest -q

check: install  ## lint and type-check
	$(VENV)/bin/ruff check ops bot knowledge adapters prompts tests
	$(VENV)/bin/mypy ops bot knowledge adapters tests

bench: install  ## latency, throughput and memory figures
	$(VENV)/bin/relocbot bench

eval: install  ## retrieval and declining metrics on the development set
	$(VENV)/bin/relocbot eval ops/evalsets/dialogues.yaml ops/evalsets/dev.yaml ops/evalsets/holdout.yaml

vectors: install  ## re-embed the shipped corpus into knowledge/data/corpus_vectors.npz
	$(VENV)/bin/relocbot vectors

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

soak: install  ## 50 chats through serve for 10 minutes with faults; figures into RELIABILITY.md
	$(VENV)/bin/relocbot soak --minutes 10 --think 2 --record RELIABILITY.md
soak-saturation: install  ## the same with no pause between messages (throughput stress)
	$(VENV)/bin/relocbot soak --minutes 10 --think 0 --record RELIABILITY.md

# The communes table (knowledge/corpus/geo/communes-hdf.csv) from Etalab's npm package: bump the
# version to refresh it, then review the diff and the territory tests (tests/leads/test_territory.py).
TERRITORY_PACKAGE ?= @etalab/decoupage-administratif@6.0.0
.PHONY: territory
territory: install  ## rebuild the communes table from $(TERRITORY_PACKAGE) (npm pack)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent "$(TERRITORY_PACKAGE)" >/dev/null) && \
	$(VENV)/bin/relocbot territory --tarball "$$(ls "$$tmp"/*.tgz)"
