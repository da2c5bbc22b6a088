"""Run tests and notebook kernels with one BLAS thread unless told otherwise.

On a machine with few cores, pytest, the notebook kernel and BLAS's own
threads otherwise compete: a training cell that takes 1 s took 50 s on a
loaded 2-core machine. Kernels started by nbval inherit this environment.
"""
import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
