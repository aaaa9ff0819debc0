"""Drop the inline BokehJS that `load_bokehjs()` outputs from the notebooks in nbs/.

A chapter loads BokehJS inline (offline) so its figures draw in Jupyter; the 1.6 MB of JavaScript that
this stores is the same in every notebook and is not committed. Run after `nbdev-clean`; the cell is
marked `# NBVAL_IGNORE_OUTPUT`, so nbval does not miss the output.
"""
from pathlib import Path
from fastcore.nbio import read_nb, write_nb  # the reader/writer nbdev-clean uses, so the two agree

BOKEHJS_MIMES = ('application/vnd.bokehjs_load.v0+json', 'application/vnd.bokehjs_exec.v0+json')

def strip(path: Path) -> bool:
    "Remove BokehJS-loading outputs from the notebook at `path`; True if it changed."
    nb = read_nb(path)
    changed = False
    for cell in nb.cells:
        outs = cell.get('outputs', [])
        kept = [o for o in outs if not any(m in o.get('data', {}) for m in BOKEHJS_MIMES)
                                   and 'Bokeh' not in ''.join(o.get('data', {}).get('application/javascript', ''))[:2000]]
        if len(kept) != len(outs): cell['outputs'], changed = kept, True
    if changed: write_nb(nb, path)
    return changed

if __name__ == '__main__':
    root = Path(__file__).resolve().parents[1]
    for p in sorted((root/'nbs').glob('*.ipynb')):
        if strip(p): print(f"stripped BokehJS from {p.relative_to(root)}")
