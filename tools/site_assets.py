"""The course site's third-party scripts, served from the site itself (no CDN), and its test tools.

MathJax renders the math and @jupyter-widgets/html-manager (with require.js, which its AMD
bundle needs) draws the widgets from their saved state.  axe-core checks the built pages for
accessibility in the browser tests (tests/ui/test_site_accessibility.py); it is a test tool, not
part of the site.  Each is fetched once from the npm registry at a pinned version (`npm pack`, or
the registry's tarball address where npm is not installed), checked against the sha512 the
registry publishes for that version, and unpacked under .cache/vendor/ (git-ignored) with its
licence files.  docs/site/conf.py adds .cache/vendor/static/ to the site's static files, so the
pages load the served packages from site/_static/vendor/<name>/; the test tools are unpacked
beside it, in .cache/vendor/tools/<name>/, and never reach site/.

Usage: python tools/site_assets.py   (fetch what is missing; prints where they are)
"""
from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "vendor"
STATIC = CACHE / "static"            # an html_static_path: its vendor/ lands in site/_static/vendor/
TOOLS = CACHE / "tools"              # packages the tests use, outside what the site serves
PREFIX = "vendor"                    # the URL path under _static/


@dataclass(frozen=True)
class Package:
    npm_name: str
    version: str
    integrity: str          # the registry's dist.integrity for this version (`npm view NAME@V dist.integrity`)
    folder: str             # site/_static/vendor/<folder>/
    files: tuple[str, ...]  # what to serve, relative to the tarball's package/: names, folder/ or glob patterns
    licence: tuple[str, ...]  # licence files (and package.json, which names the licence) copied next to them
    served: bool = True     # False: a test tool, unpacked under TOOLS instead of the site's static files

    @property
    def tarball(self) -> Path:
        return CACHE / f"{self.npm_name.lstrip('@').replace('/', '-')}-{self.version}.tgz"

    @property
    def target(self) -> Path:
        return (STATIC / PREFIX if self.served else TOOLS) / self.folder

    def url(self, relative: str) -> str:
        """A file's path relative to _static/, as Sphinx's mathjax_path and add_js_file take it."""
        return f"{PREFIX}/{self.folder}/{relative}"


MATHJAX = Package(
    "mathjax", "3.2.2",
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
    "mathjax",
    # The TeX-to-HTML bundle and what it loads on demand (TeX extensions, fonts, the menu's parts).
    ("es5/tex-chtml.js", "es5/input/tex/", "es5/output/chtml/", "es5/ui/", "es5/a11y/", "es5/sre/",
     "es5/adaptors/"),
    ("LICENSE", "package.json"))
# ipywidgets 8 (widget protocol 2) is drawn by html-manager 1.x; its AMD bundle needs require.js.
HTML_MANAGER = Package(
    "@jupyter-widgets/html-manager", "1.0.15",
    "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
    "html-manager",
    # The AMD bundle (it holds the standard controls) and the icon fonts it loads.
    ("dist/embed-amd.js", *(f"dist/*.{ext}" for ext in ("woff2", "woff", "ttf", "eot", "svg"))),
    ("package.json", "dist/embed.js.LICENSE.txt"))
REQUIREJS = Package(
    "requirejs", "2.3.8",
    "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
    "requirejs", ("require.js",), ("package.json", "README.md"))
PACKAGES = (MATHJAX, HTML_MANAGER, REQUIREJS)
# The accessibility checker of the browser tests (WCAG 2 A and AA rules); injected into the pages
# by the tests, never served by the site.
AXE_CORE = Package(
    "axe-core", "4.14.1",
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    "axe-core", ("axe.min.js",), ("LICENSE", "LICENSE-3RD-PARTY.txt", "package.json"), served=False)
TEST_PACKAGES = (AXE_CORE,)

MATHJAX_JS = MATHJAX.url("es5/tex-chtml.js")
REQUIRE_JS = REQUIREJS.url("require.js")
EMBED_AMD_JS = HTML_MANAGER.url("dist/embed-amd.js")
# Source maps are not needed to run and are larger than the scripts.
SKIP_SUFFIXES = (".map",)


def sha512_integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def tarball_url(package: Package) -> str:
    """The registry's address of the tarball (for machines without npm)."""
    registry = os.environ.get("npm_config_registry", "https://registry.npmjs.org").rstrip("/")
    return f"{registry}/{package.npm_name}/-/{package.npm_name.rsplit('/', 1)[-1]}-{package.version}.tgz"


def download(package: Package, folder: Path) -> Path:
    """The package's tarball in folder: `npm pack` where npm is installed, else a plain download."""
    npm = shutil.which("npm")
    if npm:
        result = subprocess.run(
            [npm, "pack", "--silent", f"{package.npm_name}@{package.version}", "--pack-destination", str(folder)],
            capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"npm pack {package.npm_name}@{package.version} failed:\n{result.stderr}")
        (packed,) = folder.glob("*.tgz")
        return packed
    target = folder / package.tarball.name
    with urllib.request.urlopen(tarball_url(package), timeout=120) as response, open(target, "wb") as out:
        shutil.copyfileobj(response, out)
    return target


def fetch(package: Package) -> Path:
    """The package's tarball in the cache, fetched if missing; its checksum is checked every time."""
    if not package.tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
            download(package, Path(tmp)).replace(package.tarball)
    found = sha512_integrity(package.tarball)
    if found != package.integrity:
        package.tarball.unlink()
        raise RuntimeError(f"{package.npm_name}@{package.version}: checksum {found} is not the pinned "
                           f"{package.integrity}; the download was removed")
    return package.tarball


def _selection_hash(package: Package) -> str:
    """Changes when what is served changes, so the folder is unpacked again."""
    return hashlib.sha256(repr((package.files, package.licence)).encode()).hexdigest()[:8]


def unpack(package: Package) -> None:
    """Copy the package's served files and licence files into its folder under STATIC."""
    stamp = CACHE / f"{package.folder}-{package.version}-{_selection_hash(package)}.unpacked"   # outside what is served
    if stamp.exists():
        return
    tarball = fetch(package)
    if package.target.exists():
        shutil.rmtree(package.target)
    wanted = tuple(f"package/{f}" for f in package.files + package.licence)
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            name = member.name
            if not member.isfile() or name.endswith(SKIP_SUFFIXES):
                continue
            if not any(name == w or (w.endswith("/") and name.startswith(w)) or fnmatch.fnmatchcase(name, w)
                       for w in wanted):
                continue
            relative = Path(name).relative_to("package")
            if f"package/{relative}" in tuple(f"package/{f}" for f in package.licence):
                relative = Path(relative.name)        # licence files sit at the folder's top
            dest = package.target / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
    licence = json.loads((package.target / "package.json").read_text()).get("license", "see package.json")
    (package.target / "VENDORED.txt").write_text(
        f"{package.npm_name}@{package.version} from the npm registry, {package.integrity}\n"
        f"Licence: {licence}; see {', '.join(Path(f).name for f in package.licence)} in this folder.\n")
    stamp.touch()


def ensure_assets() -> Path:
    """Every vendored package unpacked under STATIC (fetching what is missing); returns STATIC."""
    for package in PACKAGES:
        unpack(package)
    return STATIC


def ensure_axe() -> Path:
    """axe-core's script (axe.min.js), fetched and checked if missing, for the browser tests."""
    unpack(AXE_CORE)
    return AXE_CORE.target / "axe.min.js"


if __name__ == "__main__":
    print(ensure_assets())
    print(ensure_axe())
    sys.exit(0)
