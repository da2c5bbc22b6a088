"""The course site built once per test session, for tests/test_html_site.py and tests/ui/test_site.py."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_tool(name: str):
    """A module of tools/ (not a package), e.g. load_tool("build_html")."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def build_html():
    return load_tool("build_html")


@pytest.fixture(scope="session")
def site_assets():
    return load_tool("site_assets")


@pytest.fixture(scope="session")
def built_site(build_html, tmp_path_factory):
    """`make html` into a temporary folder (site/ is left alone): the SiteBuild and its folder."""
    out = tmp_path_factory.mktemp("course") / "site"
    built = build_html.build_site(ROOT / "notebooks", out)
    return out, built
