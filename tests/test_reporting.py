"""Printing that holds on every machine: gradient-check sizes, seed spreads, lines marked as varying."""
import configparser
import re
from pathlib import Path

import numpy as np
import pytest

from lecture_nn.gradcheck import describe_check, error_bound
from lecture_nn.lessons.reporting import CPU_MARK, mean_std, seeds_where, varies_with_cpu

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")


@pytest.mark.parametrize("worst, bound", [(3.2e-10, 1e-8), (9.9e-10, 1e-8), (1e-9, 1e-8), (1.1e-9, 1e-7)])
def test_the_bound_is_10_to_100_times_the_error(worst, bound):
    assert error_bound(worst) == pytest.approx(bound)
    assert 10 <= error_bound(worst) / worst <= 100


def test_a_few_times_more_or_less_error_prints_the_same_line():
    """What another CPU's rounding does to a finite-difference check: a factor of about 2."""
    rng = np.random.default_rng(0)
    for worst in 10.0 ** rng.uniform(-12, -8, 200):
        lines = {describe_check({"W": worst * f}) for f in (0.7, 1.0, 1.4)}
        assert len(lines) <= 2    # may cross one power of ten, never print a wrong verdict
        assert all("passed" in line for line in lines)


def test_describe_check_fails_loudly():
    assert "FAILED" in describe_check({"W": 1e-10, "b": float("nan")})
    assert "FAILED" in describe_check({"W": 3e-6})
    assert describe_check({"W": 0.0}) == "worst relative error = 0 (threshold 1e-07: passed)"


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
