# Every target builds the virtual environment it needs from nothing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo plan test lint fmt

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/psdm-bot demo

plan: $(STAMP)
	$(BIN)/psdm-bot plan tool-adoption --var customer=Acme --var start_date=2026-01-06

test: $(STAMP)
	$(BIN)/ruff check bot gitlab_sandbox tests bench
	$(BIN)/ruff format --check bot gitlab_sandbox tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check bot gitlab_sandbox tests bench
	$(BIN)/ruff format --check bot gitlab_sandbox tests bench
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format bot gitlab_sandbox tests bench
	$(BIN)/ruff check --fix bot gitlab_sandbox tests bench
