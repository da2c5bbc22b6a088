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
	@echo "make assignment NB=04_dropout   an otter-grader assignment from a notebook's build-it exercises"
	@echo "make grade NB=04_dropout SUBMISSION=x.ipynb   grade one submission (in .venv-grading)"
	@echo "make test-grading  grade the worked solutions, the stubs and a named mistake (what CI runs)"

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
	rm -rf $(VENV) .venv-grading site build .cache test-artifacts

# --- graded assignments (otter-grader; README "For instructors") --------------------------------------
# Their own environment, .venv-grading: otter and its pins (requirements-grading.lock) next to the
# lines of requirements.lock named below, so a submission computes with the notebooks' versions.
# `make lab` and `make test` never install it.
#   make assignment NB=00_start_here            the assignment of one notebook, in build/assignments/NB/
#   make assignments                            every notebook's
#   make grade NB=00_start_here SUBMISSION=x.ipynb   grade one submission, print the score report
#   make test-grading                           CI: build GRADED_NOTEBOOKS' assignments and grade the worked
#                                               solutions (full marks), the stubs (zero), a named mistake
.PHONY: grading-env assignment assignments grade test-grading
VENV_GRADING := .venv-grading
PY_GRADING   := $(VENV_GRADING)/bin/python
GRADING_FROM_LOCK := numpy scipy matplotlib scikit-learn threadpoolctl mlxtend pandas tqdm ipython ipykernel \
	ipywidgets jupyterlab_widgets widgetsnbextension nbformat nbclient nbconvert pyyaml pytest pillow playwright greenlet
GRADING_HASH := $(shell $(PYTHON) -c "import hashlib; print(hashlib.sha256(b''.join(open(f,'rb').read() for f in ('requirements.lock', 'requirements-grading.lock', 'pyproject.toml'))).hexdigest()[:16])")
GRADING_STAMP := $(VENV_GRADING)/.installed-$(GRADING_HASH)
NB ?= 00_start_here
NB_PATH = notebooks/$(notdir $(basename $(NB))).ipynb
GRADED_NOTEBOOKS ?= 00_start_here 04_dropout

grading-env: $(GRADING_STAMP)

$(GRADING_STAMP):
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'lecture-nn needs Python 3.11 or newer, found ' + sys.version.split()[0])"
	@if [ -d $(VENV_GRADING) ] && ! $(PY_GRADING) -c "" 2>/dev/null; then echo "rebuilding stale $(VENV_GRADING)"; rm -rf $(VENV_GRADING); fi
	@[ -x $(PY_GRADING) ] || $(PYTHON) -m venv $(VENV_GRADING)
	$(PY_GRADING) -m pip install --quiet --upgrade pip
	@grep -i -E "^($$(echo $(GRADING_FROM_LOCK) | tr ' ' '|'))==" requirements.lock > $(VENV_GRADING)/from-requirements-lock.txt
	@[ $$(wc -l < $(VENV_GRADING)/from-requirements-lock.txt) -eq $(words $(GRADING_FROM_LOCK)) ] || \
		{ echo "requirements.lock lacks a pin of: $(GRADING_FROM_LOCK)"; exit 1; }
	$(PY_GRADING) -m pip install --quiet -r $(VENV_GRADING)/from-requirements-lock.txt -r requirements-grading.lock
	$(PY_GRADING) -m pip install --quiet --no-deps -e . --config-settings editable_mode=lenient
	$(PY_GRADING) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lecture-nn grading)" >/dev/null
	@rm -f $(VENV_GRADING)/.installed-*
	@touch $@

assignment: grading-env
	$(ONE_THREAD) $(PY_GRADING) tools/assignments.py build $(NB_PATH)

assignments: grading-env
	$(ONE_THREAD) $(PY_GRADING) tools/assignments.py build notebooks/*.ipynb

grade: grading-env
	@[ -n "$(SUBMISSION)" ] || { echo "usage: make grade NB=00_start_here SUBMISSION=path/to/submission.ipynb"; exit 2; }
	$(ONE_THREAD) $(PY_GRADING) tools/assignments.py grade $(NB_PATH) "$(SUBMISSION)"

# The config's addopts (nbval) are for .venv; here only the grading tests run.
test-grading: grading-env
	$(ONE_THREAD) GRADED_NOTEBOOKS="$(GRADED_NOTEBOOKS)" $(PY_GRADING) -m pytest -o addopts="-p no:cacheprovider" tests/grading
