"""The GitHub Actions workflow a fork gets: it parses, and it runs what `.ci/run` runs."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "test.yml"


def load():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True
    triggers = workflow.get("on", workflow.get(True))
    return workflow, triggers


def run_lines(job) -> list[str]:
    return [line.strip() for step in job["steps"] for line in str(step.get("run", "")).splitlines()]


def test_workflow_parses_and_runs_on_every_push_and_pull_request():
    workflow, triggers = load()
    assert {"push", "pull_request"} <= set(triggers), triggers
    assert list(workflow["jobs"]) == ["test"]


def test_matrix_is_linux_and_macos_with_python_3_11_and_3_13():
    job = load()[0]["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    assert any(os.startswith("ubuntu") for os in matrix["os"])
    assert any(os.startswith("macos") for os in matrix["os"])
    assert set(matrix["python"]) == {"3.11", "3.13"}     # strings: 3.10 would parse as 3.1
    assert job["strategy"]["fail-fast"] is False
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["timeout-minutes"] <= 90


def test_python_comes_from_setup_python_with_a_pip_cache():
    job = load()[0]["jobs"]["test"]
    setup = [step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/setup-python@")]
    assert len(setup) == 1
    options = setup[0]["with"]
    assert options["python-version"] == "${{ matrix.python }}"
    assert options["cache"] == "pip"
    assert "requirements.lock" in options["cache-dependency-path"]


def test_it_runs_make_test_then_make_test_portable_like_ci():
    lines = run_lines(load()[0]["jobs"]["test"])
    makes = [line.split()[1] for line in lines if line.startswith("make ")]
    assert makes == ["setup", "test", "test-portable", "test-grading"], makes
    assert any("torch==2.13.0" in line for line in lines), "the PyTorch oracle tests need torch"
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make test\n") < ci.index("make test-portable") < ci.index("make test-grading")
    assert "MPLBACKEND" not in WORKFLOW.read_text().replace("unset MPLBACKEND", "")
