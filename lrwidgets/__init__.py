"""Find good learning rates for PyTorch models, and see and steer that choice in Jupyter.

Modules:

- `lrwidgets.plots`: Bokeh figures of a range test and of a schedule, drawn from plain column data so that a widget (in Python) or a standalone page (in JavaScript) can redraw them by swapping `source.data`."""

__version__ = "0.1.0"
