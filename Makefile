# The two commands of the README: `make demo` (main job, offline) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= configs/e5-small.yaml
RUN ?= runs/e5-small

.PHONY: setup demo test corpus

setup:
	bash scripts/setup.sh

# Train on annotations/, extract events from seeds/, write reviewer tasks, an HTML report and tables.
demo: setup
	$(BIN)/python -m annotations.corpus check
	$(BIN)/bienphong validate annotations/corpus/*.json
	$(BIN)/bienphong train --config $(CONFIG) --output-dir $(RUN)
	$(BIN)/bienphong extract --model $(RUN) seeds --output $(RUN)/events.jsonl
	$(BIN)/bienphong tasks --model $(RUN) seeds --output $(RUN)/tasks.json
	$(BIN)/bienphong report --events $(RUN)/events.jsonl seeds --output $(RUN)/report.html
	$(BIN)/bienphong tables --events $(RUN)/events.jsonl --output-dir $(RUN)/tables

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# Rebuild annotations/corpus/*.json from the markup in annotations/source/.
corpus: setup
	$(BIN)/python -m annotations.corpus build
