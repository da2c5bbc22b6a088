"""Each notebook's own code, one folder per notebook: its experiment helpers, ``widgets.py`` (the
ipywidgets explorations) and ``exercises.py`` (the checkers). The framework they build on is
:mod:`lecture_nn` itself; ``reporting`` and ``explorer`` and ``checking`` serve every lesson."""
