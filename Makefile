# `make test` and `make demo` set everything up on a bare Debian 12 machine and
# are quick no-ops for the set-up part once it is done.
# The interpreter the venv is made from: Debian's own python3 when it is new enough
# (built with PGO and LTO; see scripts/choose-python.sh). PYTHON=... picks another.
ifndef PYTHON
PYTHON := $(shell scripts/choose-python.sh)
endif
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS := dev,mpv,tui,qt,gtk
LINTED := src tests benchmarks examples

.PHONY: test demo setup system-deps lint typecheck unit bench screenshots clean

test: setup lint typecheck unit

# The example app: a Textual UI over a background service (private bus and audio
# server when the machine has none). DEMO_ARGS=--tour runs the scripted tour.
demo: setup
	$(BIN)/audio-service demo $(DEMO_ARGS)

# Makes the venv again when PYTHON changed; re-installs only when the project's metadata did.
setup: system-deps
	@scripts/ensure-venv.sh '$(PYTHON)' '$(VENV)' '$(EXTRAS)'

system-deps:
	@PYTHON='$(PYTHON)' scripts/ensure-system-deps.sh

lint: setup
	$(BIN)/ruff check --no-cache $(LINTED)
	$(BIN)/ruff format --no-cache --check $(LINTED)
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy

# coverage starts before pytest so that modules imported by the rig's pytest
# plugin, and the host processes tests spawn, are measured too. The Qt and the GTK
# tests run in processes of their own: in the long shared process, a Qt or GLib
# main-loop turn crashed (SIGSEGV) in some runs once the other toolkit, or Qt
# objects of tests long finished, were in it; an app uses one toolkit.
unit: setup
	@rm -f .coverage .coverage.*
	$(BIN)/coverage run -m pytest -m "not gtk and not qt"
	$(BIN)/coverage run -m pytest -m qt
	$(BIN)/coverage run -m pytest -m gtk
	@$(BIN)/coverage combine --quiet
	@$(BIN)/coverage report

bench: setup
	$(BIN)/python -m benchmarks

# The README's pictures of the example apps: their tests save them into docs/images.
screenshots: setup
	AUDIO_SERVICE_SCREENSHOTS=$(CURDIR)/docs/images $(BIN)/python -m pytest -q -p no:cacheprovider tests/examples

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
