# The two commands of the README:
#   make demo   - set everything up, log millions of points into a few tasks, serve the viewer
#   make test   - set everything up (venv, test extras, Debian chromium), run the whole test suite
# Other targets: make bench (full benchmarks), make bench-quick, make wheel-check.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.ringlog-installed
# the demo needs only ringlog and its runtime dependencies; the test extras (torch, tensorboard,
# playwright, ...) are several hundred MB the demo never imports (issue 18: time to first chart)
DEMO_STAMP := $(VENV)/.ringlog-runtime-installed
PORT   ?= 8765

.PHONY: demo test bench bench-quick wheel-check system-deps

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch is pinned (==2.13.0, a test extra) so pip takes the CPU wheel, not GBs of CUDA ones
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP) $(DEMO_STAMP)

# Debian's chromium drives the real-browser tests and the PDF export; installed once, as root.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: browser tests will be skipped" >&2; fi; }

$(DEMO_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(PY) -m ringlog.demo --port $(PORT)

test: $(STAMP) system-deps
	$(PY) -m pytest -q -p no:cacheprovider --durations=25

bench: $(STAMP)
	$(PY) -m benchmarks.run

bench-quick: $(STAMP)
	$(PY) -m benchmarks.run --quick

# Proves the wheel builds and installs into a fresh virtual environment and imports.
wheel-check: $(STAMP)
	rm -rf build/wheelcheck && mkdir -p build/wheelcheck
	$(PY) -m pip wheel -q --no-deps -w build/wheelcheck .
	$(PYTHON) -m venv build/wheelcheck/venv
	build/wheelcheck/venv/bin/python -m pip install -q build/wheelcheck/ringlog-*.whl
	cd build/wheelcheck && venv/bin/python -c "import ringlog, ringlog.core, ringlog.store, ringlog.viewer, ringlog.artifacts, ringlog.store as s, pathlib; ringlog.Artifact; assert (pathlib.Path(s.__file__).parent / 'FORMAT.md').exists(); print('wheel OK:', ringlog.__file__)"
