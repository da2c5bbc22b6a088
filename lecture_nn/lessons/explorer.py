"""Explorer: controls, a computation and a figure that is redrawn on every change."""
from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import clear_output, display


class Explorer(widgets.VBox):
    """A box of controls above an output area.

    Parameters
    ----------
    controls : dict name → ipywidgets control
        Their ``value``s are passed to ``compute`` and ``draw`` as keyword arguments.
    compute : callable(**values) -> state
        The numbers the widget shows (unit tests assert on these).
    draw : callable(state, **values) -> matplotlib Figure, optional
    describe : callable(state, **values) -> str, optional
        A line of text shown under the figure.

    After every change ``state`` holds the latest result, ``figure`` the latest
    figure and ``text`` the latest description.
    """

    def __init__(self, controls: dict, compute: Callable, draw: Callable | None = None,
                 describe: Callable | None = None, title: str | None = None):
        self.controls = dict(controls)
        self._compute, self._draw, self._describe = compute, draw, describe
        self.output = widgets.Output()
        self.label = widgets.HTML()
        self.state = self.figure = None
        self.text = ""
        rows = [widgets.HTML(f"<b>{title}</b>")] if title else []
        rows += [widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")),
                 self.output, self.label]
        super().__init__(rows)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change):
        self.refresh()

    def refresh(self):
        values = self.values()
        self.state = self._compute(**values)
        if self._describe is not None:
            self.text = self._describe(self.state, **values)
            self.label.value = f"<pre>{self.text}</pre>"
        if self._draw is not None:
            if self.figure is not None:
                plt.close(self.figure)
            with plt.ioff():
                self.figure = self._draw(self.state, **values)
            with self.output:
                clear_output(wait=True)
                display(self.figure)
            # already rendered above; closing keeps pyplot from showing it again in a later cell
            plt.close(self.figure)
        return self.state
