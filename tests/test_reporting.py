"""Printing that holds on every machine: gradient-check sizes, seed spreads, lines marked as varying."""
import configparser
import re
from pathlib import Path

import numpy as np
import pytest

from lecture_nn.gradcheck import describe_check
from lecture_nn.lessons.reporting import CPU_MARK, mean_std, seeds_where, varies_with_cpu

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")


def test_a_check_states_a_fixed_bound():
    assert describe_check({"W": 3.2e-10, "b": 8e-11}, bound=1e-8) == "worst relative error < 1e-08 (passed)"
    assert describe_check(2e-16, bound=1e-13) == "worst relative error < 1e-13 (passed)"
    # what another CPU's rounding does to an error (a few times) does not change the line
    assert len({describe_check(9e-10 * f, bound=1e-8) for f in (0.3, 1.0, 3.0)}) == 1


def test_describe_check_fails_loudly():
    assert describe_check({"W": 1e-10, "b": float("nan")}) == "worst relative error ≥ 1e-07 (FAILED)"
    assert "FAILED" in describe_check({"W": 3e-6})
    assert "FAILED" in describe_check({"W": 1e-8}, bound=1e-8)
    assert describe_check({"W": 0.0}) == "worst relative error < 1e-07 (passed)"
    with pytest.raises(ValueError):
        describe_check({"W": 0.0}, bound=0)
    with pytest.raises(ValueError):
        describe_check({})


def test_seed_summaries():
    assert mean_std([0.8, 0.9]) == "0.85 ± 0.07"
    assert mean_std([0.5], digits=3) == "0.500 ± 0.000"
    assert seeds_where([True, False, True, True]) == "3 of 4 seeds"


def _sanitize(text):
    config = configparser.ConfigParser()
    config.read(SANITIZE)
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def test_the_sanitizer_blanks_marked_lines_and_nothing_else():
    marked = varies_with_cpu("test accuracy 0.980")
    assert marked.endswith(CPU_MARK)
    text = f"checked 0.123\n{marked}\nchecked 0.456\n"
    assert _sanitize(text) == _sanitize(text.replace("0.980", "0.979"))
    assert "0.123" in _sanitize(text) and "0.456" in _sanitize(text)
    assert _sanitize("checked 0.123\n") != _sanitize("checked 0.124\n")
    with pytest.raises(ValueError):
        varies_with_cpu("two\nlines")
