"""The grading tests need otter-grader, which lives in .venv-grading only (`make test-grading`);
`make test` runs in .venv, which never has it, and so does not collect them."""
import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("otter") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    # tools/ is not a package: its scripts are imported by name
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
