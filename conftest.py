"""Repository-wide pytest setup.

Output policy for notebooks: chapters are committed *executed*, then cleaned with `nbdev-clean`, which
keeps outputs but blanks execution counts. nbval treats a cell without an execution count as never run
and refuses one that has outputs ("Unrun reference cell has outputs"). So nbval here reads notebooks
with every code cell counted as run: each cell's fresh outputs are compared with the committed ones
(strict `--nbval`, after the sanitizers in `nbval_sanitize.cfg`), and a cell that now prints something it
did not print before fails too.
"""
import nbformat
import nbval.plugin

class _NbformatRunCells:
    "`nbformat` as nbval sees it: notebooks come back with every code cell marked as run."
    def __getattr__(self, name): return getattr(nbformat, name)

    @staticmethod
    def read(*args, **kwargs):
        nb = nbformat.read(*args, **kwargs)
        for i, cell in enumerate(nb.cells, 1):
            if cell.cell_type == 'code' and cell.get('execution_count') is None: cell.execution_count = i
        return nb

nbval.plugin.nbformat = _NbformatRunCells()
