"""The conda environment.yml must list exactly the packages and versions pinned in requirements.lock."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[normalise(name)] = version.strip()
    return pins


def environment_pins():
    pins, in_deps = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        match = re.match(r"\s+-\s+([A-Za-z0-9_.\-]+)\s*=\s*([^=\s]+)\s*$", line)
        if in_deps and match:
            pins[normalise(match.group(1))] = match.group(2)
    return pins


def test_environment_yml_matches_lock_file():
    lock, env = lock_pins(), environment_pins()
    assert lock, "requirements.lock lists no pins"
    missing = sorted(set(lock) - set(env))
    extra = sorted(set(env) - set(lock))
    differ = sorted(f"{k}: lock {lock[k]} vs environment.yml {env[k]}"
                    for k in set(lock) & set(env) if lock[k] != env[k])
    assert not (missing or extra or differ), (
        f"missing from environment.yml: {missing}; only in environment.yml: {extra}; "
        f"different versions: {differ}")


def test_every_lock_entry_is_an_exact_pin():
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][A-Za-z0-9.+]*", line), line
