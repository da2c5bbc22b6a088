"""axe-core in a Playwright page: run it, keep what matters, and say it readably.

Used by tests/ui/test_site_accessibility.py (every page of the course site, light and dark theme).
axe-core itself comes from the npm registry at the version pinned in tools/site_assets.py
(``ensure_axe()``), checked against its sha512, and is injected into the page by the test: the
site never serves it.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# Every WCAG 2.x success criterion of levels A and AA that axe-core has a rule for.
WCAG_A_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
BLOCKING = ("serious", "critical")

# The page is ready for axe when every saved widget is drawn and every formula typeset: a check
# before that would judge the placeholders, not what a reader meets.
JS_DRAWN = """() => {
    const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
    const drawn = Array.from(document.querySelectorAll('.jupyter-widgets'))
        .filter(v => !v.parentElement.closest('.jupyter-widgets')).length;
    const typeset = Array.from(document.querySelectorAll('div.math, span.math'))
        .every(m => m.querySelector('mjx-container'));
    return drawn >= views && typeset && document.readyState === 'complete';
}"""

JS_RUN_AXE = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                            resultTypes: ['violations']});
    return result.violations.map(v => ({
        rule: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
        nodes: v.nodes.map(n => ({impact: n.impact || v.impact, target: n.target,
                                  html: n.html, summary: n.failureSummary || ''}))}));
}"""


@dataclass(frozen=True)
class Finding:
    """One element that breaks one rule, on one page in one theme."""
    rule: str
    impact: str
    help: str
    selector: str
    html: str
    summary: str
    page: str
    theme: str

    def describe(self) -> str:
        summary = " ".join(self.summary.split())
        return (f"[{self.impact}] {self.rule}: {self.help}\n"
                f"    page: {self.page} ({self.theme} theme)\n"
                f"    element: {self.selector}\n"
                f"    html: {self.html[:300]}\n"
                f"    {summary[:400]}")


@dataclass(frozen=True)
class Allowed:
    """A finding that belongs to the upstream theme and waits for an upstream fix.

    ``selector`` is a regular expression searched for in the element's CSS selector; ``upstream``
    is the upstream issue's address and ``why`` says what is wrong there.
    """
    rule: str
    selector: str
    upstream: str
    why: str

    def covers(self, finding: Finding) -> bool:
        return finding.rule == self.rule and re.search(self.selector, finding.selector) is not None


def selector_of(target) -> str:
    """axe's node target (a list of selectors, nested lists inside shadow roots) as one string."""
    if isinstance(target, str):
        return target
    return " >>> ".join(selector_of(part) for part in target)


def run_axe(page, axe_script: Path, page_name: str, theme: str) -> list[Finding]:
    """Every WCAG 2 A/AA violation axe-core finds in the whole page, one Finding per element."""
    page.wait_for_function(JS_DRAWN, timeout=30_000)
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate(JS_RUN_AXE, list(WCAG_A_AA))
    return [Finding(v["rule"], node["impact"], v["help"], selector_of(node["target"]), node["html"],
                    node["summary"], page_name, theme)
            for v in violations for node in v["nodes"]]


def blocking(findings: list[Finding], allowed: tuple[Allowed, ...]) -> tuple[list[Finding], list[Finding]]:
    """(serious or critical findings no allow-list entry covers, those an entry covers)."""
    serious = [f for f in findings if f.impact in BLOCKING]
    waived = [f for f in serious if any(a.covers(f) for a in allowed)]
    return [f for f in serious if f not in waived], waived


def counts(findings: list[Finding]) -> dict[str, int]:
    """{"rule (impact)": number of elements}, most frequent first."""
    return dict(Counter(f"{f.rule} ({f.impact})" for f in findings).most_common())


def report(findings: list[Finding], page_name: str, theme: str, allowed: tuple[Allowed, ...]) -> str:
    """A readable account of one page's check: the blocking findings first, then the rest."""
    failing, waived = blocking(findings, allowed)
    lines = [f"axe-core on {page_name}, {theme} theme (WCAG 2 A and AA): {len(findings)} elements with "
             f"findings; serious or critical: {len(failing)} failing, {len(waived)} on the upstream allow-list"]
    if failing:
        lines += ["", "Serious or critical findings:"] + [f.describe() for f in failing]
    if waived:
        lines += ["", "Allowed (upstream):"]
        for finding in waived:
            entry = next(a for a in allowed if a.covers(finding))
            lines.append(f"{finding.rule} at {finding.selector}: waits for {entry.upstream}")
    others = [f for f in findings if f.impact not in BLOCKING]
    if others:
        lines += ["", "Minor or moderate findings (not failing):"] + [f.describe() for f in others]
    return "\n".join(lines) + "\n"


def save(findings: list[Finding], folder: Path, page_name: str, theme: str,
         allowed: tuple[Allowed, ...]) -> Path:
    """Write <page>-<theme>.json (every finding) and .txt (the report) under folder; return the .txt."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{page_name.replace('.html', '').replace('?', '_').replace('=', '_')}-{theme}"
    (folder / f"{stem}.json").write_text(json.dumps([f.__dict__ for f in findings], indent=1, ensure_ascii=False))
    text = folder / f"{stem}.txt"
    text.write_text(report(findings, page_name, theme, allowed), encoding="utf-8")
    return text
