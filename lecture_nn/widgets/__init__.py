"""Widget builders. Each notebook's explorations live in a submodule named after
the topic; all are built on :class:`Explorer`, which keeps the computation
apart from the drawing so that tests can check it without a browser.
"""
from .explorer import Explorer

__all__ = ["Explorer"]
