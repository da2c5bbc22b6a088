"""Every benchmark case, in the order of the table."""
from __future__ import annotations

import conv_cases
import convnet_case
import large_kernel_cases
import mlp_case
import pool_case

ALL_CASES = (conv_cases.CASES + pool_case.CASES + mlp_case.CASES
             + large_kernel_cases.CASES + convnet_case.CASES + conv_cases.SPEEDUP_CASES)
BY_NAME = {case.name: case for case in ALL_CASES}
