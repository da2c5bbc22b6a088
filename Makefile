# lecture-nn: `make lab` opens JupyterLab on the notebooks, `make test` runs every test.
# Both first set up .venv from requirements.lock (once per set of pins: see $(STAMP)).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The stamp's name carries a hash of the pins, so changing them reinstalls and nothing else does.
PIN_HASH := $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(open('requirements.lock','rb').read() + open('pyproject.toml','rb').read()).hexdigest()[:16])")
STAMP  := $(VENV)/.installed-$(PIN_HASH)
PORT   ?= 8888
# Jupyter refuses to run as root (containers, CI) unless told to.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Tests and notebook runs use one BLAS thread: pytest, the notebook kernel and BLAS's own threads
# otherwise fight over few cores (seen here: a 1 s training cell took 50 s on a loaded 2-core machine).
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
# In JupyterLab one kernel has the machine to itself: BLAS may use every core (`make lab LAB_THREADS=1` to change).
LAB_THREADS ?= $(shell $(PYTHON) -c "import os; print(os.cpu_count() or 1)")
# JupyterLab's settings overrides for this venv: no news or update toast for a new user.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: setup lab test test-portable unit nbval notebooks bench html clean help

help:
	@echo "make lab        set up .venv and open JupyterLab on notebooks/ (http://127.0.0.1:$(PORT)/lab);"
	@echo "                BLAS uses every core, LAB_THREADS=1 for one"
	@echo "make test       set up .venv, run the unit tests and nbval over every notebook"
	@echo "make test-portable  nbval again with the CPU kernels of other machines (AVX2, older x86)"
	@echo "make notebooks  re-execute every notebook in place in a fresh kernel"
	@echo "make bench      run the benchmarks against PyTorch CPU"
	@echo "make html       build the course website in site/ from the committed outputs (works offline)"

setup: $(STAMP) $(LAB_OVERRIDES)

$(LAB_OVERRIDES): tools/jupyterlab-overrides.json $(STAMP)
	@mkdir -p $(dir $@) && cp $< $@

$(STAMP):
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'lecture-nn needs Python 3.11 or newer, found ' + sys.version.split()[0])"
	@# A venv whose interpreter no longer runs (moved folder, removed Python) is stale: rebuild it.
	@if [ -d $(VENV) ] && ! $(PY) -c "" 2>/dev/null; then echo "rebuilding stale $(VENV)"; rm -rf $(VENV); fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e . --config-settings editable_mode=lenient
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lecture-nn)" >/dev/null
	@rm -f $(VENV)/.installed-*
	@touch $@

lab: setup
	@echo "Open http://127.0.0.1:$(PORT)/lab (the token is printed below); BLAS threads: $(LAB_THREADS)"
	OPENBLAS_NUM_THREADS=$(LAB_THREADS) OMP_NUM_THREADS=$(LAB_THREADS) MKL_NUM_THREADS=$(LAB_THREADS) \
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --port=$(PORT) --no-browser $(ALLOW_ROOT)

test: setup
	$(ONE_THREAD) $(PY) -m pytest

unit: setup
	$(ONE_THREAD) $(PY) -m pytest tests

nbval: setup
	$(ONE_THREAD) $(PY) -m pytest notebooks

# Checked outputs must not depend on the CPU: nbval once with the OpenBLAS and NumPy kernels of an
# AVX2 machine (most laptops and CI runners) and once with those of an older x86 CPU, each in its
# own run. Elsewhere (arm64) the names are ignored and the native kernels run.
PROFILE_AVX2 := OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"
PROFILE_OLD  := OPENBLAS_CORETYPE=Sandybridge NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
test-portable: setup
	$(ONE_THREAD) $(PROFILE_AVX2) $(PY) -m pytest notebooks
	$(ONE_THREAD) $(PROFILE_OLD) $(PY) -m pytest notebooks

notebooks: setup
	$(ONE_THREAD) $(PY) tools/execute_notebooks.py notebooks/*.ipynb

# PyTorch (CPU, pinned) is the reference the benchmarks compare against.
bench: setup
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) benchmarks/run.py

html: setup
	$(PY) tools/build_html.py

clean:
	rm -rf $(VENV) site build .cache test-artifacts
