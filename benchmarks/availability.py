"""Marking a case whose lecture_nn module is not written yet."""
from __future__ import annotations

import importlib


class NotAvailable(Exception):
    """The case cannot run here (a module or name it needs does not exist yet)."""


def import_first(candidates):
    """The first attribute found among ``(module, name)`` pairs, else NotAvailable.

    Other helpers may expose a function in one of several modules; we import it
    by the names they actually expose, and report the case as not available
    (instead of crashing) when none exists.
    """
    tried = []
    for module_name, attr in candidates:
        tried.append(f"{module_name}.{attr}")
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, attr):
            return getattr(module, attr)
    raise NotAvailable("none of " + ", ".join(tried) + " exists")
