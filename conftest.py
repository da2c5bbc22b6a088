"""Run tests and notebook kernels with one BLAS thread unless told otherwise, and compare the
notebooks' figures inside the nbval run.

On a machine with few cores, pytest, the notebook kernel and BLAS's own
threads otherwise compete: a training cell that takes 1 s took 50 s on a
loaded 2-core machine. Kernels started by nbval inherit this environment.

nbval compares text only; tests/figure_comparison.py adds every figure a cell draws, compared
with the committed one (loaded here by path, as tests/ is not a package).
"""
import importlib.util
import os
import sys
from pathlib import Path

import pytest

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

UNINSTALL_FIGURES = pytest.StashKey()


def figure_comparison():
    """tests/figure_comparison.py, imported once as ``figure_comparison`` (the unit tests import it by that name)."""
    module = sys.modules.get("figure_comparison")
    if module is None:
        spec = importlib.util.spec_from_file_location(
            "figure_comparison", Path(__file__).parent / "tests" / "figure_comparison.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["figure_comparison"] = module
        spec.loader.exec_module(module)
    return module


def pytest_configure(config):
    if getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False):
        config.stash[UNINSTALL_FIGURES] = figure_comparison().install()


def pytest_unconfigure(config):
    uninstall = config.stash.get(UNINSTALL_FIGURES, None)
    if uninstall is not None:
        uninstall()
