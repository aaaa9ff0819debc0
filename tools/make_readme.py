"""Write README.md from nbs/index.ipynb (what `nbdev-readme` does, without needing Quarto).

Markdown cells are copied; code cells become ```python blocks followed by their text output; cells
marked `#| hide` are left out, and `#|` directives are dropped. `--check` exits 1 if README.md differs.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _text_output(out):
    if out['output_type'] == 'stream': return ''.join(out['text'])
    data = out.get('data', {})
    if 'text/markdown' in data: return None  # markdown output is shown as markdown, not as code
    if 'text/plain' in data and 'application/vnd.jupyter.widget-view+json' not in data: return ''.join(data['text/plain'])
    return ''

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    "README.md's text, made from the index notebook."
    parts = []
    for cell in json.loads(Path(nb_path).read_text())['cells']:
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown':
            parts.append(re.sub(r'\]\((images/)', r'](nbs/\1', src))  # images live beside the notebook
            continue
        if cell['cell_type'] != 'code' or re.search(r'^#\|\s*hide\b', src, re.M): continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith(('#|', '# NBVAL_'))).strip()
        if code: parts.append(f"```python\n{code}\n```")
        for out in cell.get('outputs', []):
            text = _text_output(out)
            if text is None: parts.append(''.join(out['data']['text/markdown']))
            elif text.strip(): parts.append(f"```\n{text.rstrip()}\n```")
    return '\n\n'.join(p.strip('\n') for p in parts) + '\n'

if __name__ == '__main__':
    text, readme = readme_text(), ROOT/'README.md'
    if '--check' in sys.argv:
        if readme.read_text() != text: sys.exit("README.md is out of date: run `python tools/make_readme.py`")
    else: readme.write_text(text)
