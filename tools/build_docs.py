"""Build the documentation site from the chapter notebooks: `python tools/build_docs.py` writes `_site/`.

Offline and static. Every chapter in nbs/ (found by glob, in file order; `index.ipynb` is the README)
becomes a page with its prose, code and committed outputs; README.md is the home page; api.html lists
every exported name. As in nbdev's docs, an `#| export` cell shows the API entry of each public name it
defines (signature and docments, rendered from nbdev's `show_doc`) with its source folded underneath;
`#| hide` cells are left out.

Figures: the chapters show bokeh figures as ipywidgets (`BokehModel`), and a committed notebook keeps
only a reference to the widget, not the figure. So the builder runs each chapter that shows widgets
(up to its last widget cell, in a fresh kernel, `--jobs` at a time), takes a standalone copy of every
bokeh figure at the moment it is displayed, and draws it on the page with BokehJS, copied once into
`_site/assets/` from the installed bokeh package. The copies are cached in `.docs_cache/` under a hash of
the notebook and the package sources, so a rebuild with nothing changed runs no kernel. Other widget
controls (sliders, buttons, progress bars) need a live kernel: the page says so and shows their text form.
`--no-execute` builds from the committed outputs alone (figures then appear as that note).
"""
import argparse, ast, concurrent.futures as cf, hashlib, html, importlib, json, multiprocessing, os, re, shutil, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, DOCS = ROOT/'nbs', ROOT/'tools'/'docs'
WIDGET_MIME, FIGURES_MIME = 'application/vnd.jupyter.widget-view+json', 'application/vnd.lrwidgets.figures+json'
BOKEH_BUNDLES = ('bokeh', 'bokeh-gl', 'bokeh-widgets', 'bokeh-tables')   # the mathjax and api bundles are not used
CACHE_VERSION = '1'

# --------------------------------------------------------------------------------------------------------
# Chapters

def page_name(nb_path) -> str:
    "nbdev's page name for a notebook: `04a_plots.ipynb` -> `plots.html` (the `_modidx` links point there)."
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', Path(nb_path).stem) + '.html'

def chapters(nbs=NBS) -> list:
    "The chapter notebooks, in file order; `index.ipynb` is the home page (as README.md), not a chapter."
    return [p for p in sorted(Path(nbs).glob('*.ipynb')) if p.name != 'index.ipynb' and not p.name.startswith(('_', '.'))]

_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*([\w-]+):?\s*(.*?)\s*$')

def directives(src: str):
    "`#| name args` lines at the top of a cell -> ({name: args}, source without them and `# NBVAL_` markers)."
    found, lines = {}, src.splitlines()
    i = 0
    while i < len(lines) and (_DIRECTIVE.match(lines[i]) or not lines[i].strip()):
        m = _DIRECTIVE.match(lines[i])
        if m: found[m.group(1).lower().replace('-', '_')] = m.group(2)
        i += 1
    body = [l for l in lines[i:] if not l.lstrip().startswith(('# NBVAL_', '#NBVAL_'))]
    return found, '\n'.join(body).strip('\n')

def widget_cells(nb) -> list:
    "Indices of the code cells whose committed outputs show an ipywidget."
    return [i for i, c in enumerate(nb.cells) if c.cell_type == 'code'
            and any(WIDGET_MIME in o.get('data', {}) for o in c.get('outputs', []))]

# --------------------------------------------------------------------------------------------------------
# Running chapters for their figures

# Runs first in the chapter's kernel: a widget's display also carries a standalone copy of every bokeh
# figure inside it (BokehModel, or one in a Box's children), as it is at that moment.
_HOOK = r'''
import ipywidgets as _w
from jupyter_bokeh import BokehModel as _BM
from bokeh.core.json_encoder import serialize_json as _ser
from bokeh.embed.elements import div_for_render_item as _div
from bokeh.embed.util import standalone_docs_json_and_render_items as _standalone
def _lrw_models(w, seen):
    if id(w) in seen: return
    seen.add(id(w))
    if isinstance(w, _BM): yield w._model
    for c in getattr(w, 'children', ()) or ():
        if isinstance(c, _w.Widget): yield from _lrw_models(c, seen)
def _lrw_repr(self, _orig=_w.Widget._repr_mimebundle_, **kw):
    data = _orig(self, **kw)
    if isinstance(data, dict):
        figs = []
        for m in _lrw_models(self, set()):
            docs, [item] = _standalone([m], suppress_callback_warning=True)
            figs.append(dict(docs_json=docs, render_items=[item.to_json()], div=_div(item)))
        if figs: data['%s'] = _ser(figs)
    return data
_w.Widget._repr_mimebundle_ = _lrw_repr
''' % FIGURES_MIME

def _sources_hash() -> str:
    h = hashlib.sha256(CACHE_VERSION.encode())
    for p in sorted((ROOT/'lrwidgets').glob('*.py')): h.update(p.name.encode()); h.update(p.read_bytes())
    return h.hexdigest()

def _cell_key(cell, i) -> str: return cell.get('id') or f'#{i}'

def run_for_figures(nb_text: str, cwd, timeout=600) -> dict:
    "Run a notebook up to its last widget cell in `cwd`; {cell id: [figure JSON per widget output]} and the errors seen."
    import nbformat
    from nbclient import NotebookClient
    # this worker's stderr (inherited by the kernel) is the kernel's start-up chatter: dropped; errors come back in the outputs
    devnull = os.open(os.devnull, os.O_WRONLY); os.dup2(devnull, 2)
    nb = nbformat.reads(nb_text, as_version=4)
    keys = [_cell_key(c, i) for i, c in enumerate(nb.cells)]
    last = max(widget_cells(nb))
    nb.cells = [nbformat.v4.new_code_cell(_HOOK)] + nb.cells[:last+1]
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', allow_errors=True, store_widget_state=False,
                            resources={'metadata': {'path': str(cwd)}})
    client.execute()
    figs, errors = {}, []
    for i, cell in enumerate(nb.cells[1:]):
        if cell.cell_type != 'code': continue
        outs = [o for o in cell.get('outputs', []) if WIDGET_MIME in o.get('data', {})]
        if outs: figs[keys[i]] = [o['data'].get(FIGURES_MIME) for o in outs]
        errors += [f"cell {i} ({keys[i]}): {o.get('ename')}: {o.get('evalue')}" for o in cell.get('outputs', []) if o.get('output_type') == 'error']
    return dict(figures=figs, errors=errors)

def chapter_figures(texts: dict, cache_dir, jobs=2, log=print) -> dict:
    "{notebook path: run_for_figures result} for {path: notebook text}, cached while the notebook and package are unchanged."
    import nbformat
    cache_dir.mkdir(parents=True, exist_ok=True)
    src_hash, todo, out = _sources_hash(), {}, {}
    for p, text in texts.items():
        if not widget_cells(nbformat.reads(text, as_version=4)): continue
        key = hashlib.sha256((src_hash + text).encode()).hexdigest()[:24]
        f = cache_dir/f'{p.stem}-{key}.json'
        if f.exists(): out[p] = json.loads(f.read_text())
        else: todo[p] = f
    if todo:
        t0 = time.time()
        log(f"running {len(todo)} chapter(s) for their figures: {', '.join(p.name for p in todo)}")
        with cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context('spawn')) as ex:
            futs = {ex.submit(run_for_figures, texts[p], p.parent): p for p in todo}
            for fut in cf.as_completed(futs):
                p = futs[fut]
                res = fut.result()
                out[p] = res
                if res['errors']: log(f"  {p.name}: errors while running: {'; '.join(res['errors'])}")
                else:
                    for old in cache_dir.glob(f'{p.stem}-*.json'): old.unlink()
                    todo[p].write_text(json.dumps(res))
        log(f"  ran in {time.time()-t0:.1f} s")
    return out

# --------------------------------------------------------------------------------------------------------
# Rendering

def gfm_headings(text: str) -> str:
    """`#` starts a heading only when a space follows, as in JupyterLab and on GitHub: nbconvert's renderer
    also takes `#6675` at a line's start (an issue number wrapped onto a new line) for one. Fenced code is left alone."""
    out, fence = [], None
    for line in text.split('\n'):
        m = re.match(r'^\s*(`{3,}|~{3,})', line)
        if m and (fence is None or m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)):
            fence = None if fence else m.group(1)
        elif fence is None: line = re.sub(r'^(\s{0,3})#(?=[^\s#])', r'\1\\#', line)
        out.append(line)
    return '\n'.join(out)

def md2html(text: str) -> str:
    "Markdown -> HTML as the chapter cells are rendered (nbconvert's mistune renderer, pygments code)."
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    return markdown2html_mistune(gfm_headings(text))

def _esc(s) -> str: return html.escape(str(s), quote=True)

def _json_script(obj_json: str, cls: str) -> str:
    "A JSON payload in a <script> element (inert; `</` escaped so it cannot close the element)."
    safe = obj_json.replace('</', '<\\/')
    return f'<script type="application/json" class="{cls}">{safe}</script>'

def widget_html(text_plain: str, figures, store: list) -> str:
    "A widget output on a static page: its bokeh figures (placeholders for `store`'s entries), and a note about the live controls."
    if figures: store.append(figures)
    fig = f'<div class="lrw-figure"><!--lrw-figure:{len(store)-1}--></div>'
    kind = (re.match(r'\s*([A-Za-z_]\w*)\(', text_plain) or [None, None])[1]
    if figures and kind == 'BokehModel':
        return fig
    what = f'<code>{_esc(kind)}</code>, an interactive widget' if kind else 'An interactive widget'
    if figures:
        note = (f'{what}: its controls need a running Jupyter kernel (open the notebook). '
                'The figure below is as it was displayed; pan, zoom and hover work.')
        return (f'<div class="lrw-widget-note" role="note">{note}</div>'
                + fig)
    if kind == 'BokehModel':
        return ('<div class="lrw-widget-note lrw-missing-figure" role="note">A bokeh figure, drawn when the notebook runs: '
                'this build did not run this cell (built with <code>--no-execute</code>, or the chapter failed before it).</div>')
    return (f'<div class="lrw-widget-note" role="note">{what}: live only in a running Jupyter kernel '
            f'(open the notebook). Its text form when the chapter ran:</div><pre class="lrw-widget-text">{_esc(text_plain)}</pre>')

def _clean_showdoc(md: str, is_class=False, name='') -> str:
    "nbdev's show_doc markdown, readable by mistune: no Quarto `{...}` attributes, no `---` rule, no source link."
    md = re.sub(r'^\s*---\s*\n', '', md)
    md = re.sub(r'^\[source\]\([^)]*\)\{[^}]*\}\s*\n', '', md, flags=re.M)
    md = re.sub(r'(\]\([^)]*\))\{[^}]*\}', r'\1', md)   # any other [text](url){target=...}
    if is_class: md = md.replace(f'```python\ndef {name}(', f'```python\nclass {name}(', 1)
    return md

def api_entry(obj, qualname: str, anchor: str, level=3) -> str:
    "One API entry: signature with docments and docstring (nbdev's show_doc), or a constant's value."
    import inspect
    from nbdev.showdoc import show_doc
    if callable(obj) or isinstance(obj, (property, classmethod, staticmethod)):
        md = show_doc(obj, name=qualname, title_level=level)._repr_markdown_()
        body = md2html(_clean_showdoc(md, inspect.isclass(obj), qualname))
    else:
        import pprint
        r = pprint.pformat(obj, width=100, compact=True)
        body = (f'<h{level}>{_esc(qualname)}</h{level}>'
                f'<div class="highlight"><pre>{_esc(qualname)} = {_esc(r if len(r) < 1500 else r[:1500] + " …")}</pre></div>')
    return f'<section class="lrw-api" id="{_esc(anchor)}">{body}</section>'

def _patched_class(node):
    "The class a fastcore `@patch` function is added to (its first argument's annotation), else None."
    if not any((isinstance(d, ast.Name) and d.id == 'patch') or (isinstance(d, ast.Call) and getattr(d.func, 'id', '') == 'patch')
               for d in node.decorator_list): return None
    args = node.args.posonlyargs + node.args.args
    ann = args[0].annotation if args else None
    return ann.id if isinstance(ann, ast.Name) else None

def exported_entries(src: str, module) -> list:
    "[(qualname, object)] documented by an export cell: the public names of `module.__all__` it defines, and their public methods."
    try: tree = ast.parse(src)
    except SyntaxError: return []
    public, out = set(getattr(module, '__all__', ())), []
    def add_methods(cls_name, cls, body):
        for n in body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith('_') and hasattr(cls, n.name):
                if ast.get_docstring(n): out.append((f'{cls_name}.{n.name}', getattr(cls, n.name)))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            cls_name = _patched_class(node) if not isinstance(node, ast.ClassDef) else None
            if cls_name:
                if cls_name in public and not node.name.startswith('_') and hasattr(getattr(module, cls_name, None), node.name):
                    out.append((f'{cls_name}.{node.name}', getattr(getattr(module, cls_name), node.name)))
            elif node.name in public and hasattr(module, node.name):
                out.append((node.name, getattr(module, node.name)))
                if isinstance(node, ast.ClassDef): add_methods(node.name, getattr(module, node.name), node.body)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for n in ([t] if isinstance(t, ast.Name) else getattr(t, 'elts', [])):
                    if isinstance(n, ast.Name) and n.id in public and hasattr(module, n.id): out.append((n.id, getattr(module, n.id)))
    return out

def _raw(source: str):
    import nbformat
    c = nbformat.v4.new_raw_cell(source)
    c.metadata['raw_mimetype'] = 'text/html'
    return c

def _folded_source(src: str, label='source') -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
    code = highlight(src, PythonLexer(), HtmlFormatter(cssclass='highlight'))
    return f'<details class="lrw-source"><summary>{label}</summary>{code}</details>'

def prepare_notebook(nb, figures: dict, api: dict, page: str, store: list):
    "The notebook as the page shows it: hidden cells out, export cells as API entries, widgets as figures/notes."
    cells, module = [], None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == 'markdown': cell.source = gfm_headings(cell.source)
        if cell.cell_type != 'code': cells.append(cell); continue
        d, src = directives(cell.source)
        if 'default_exp' in d:
            module = importlib.import_module(f"lrwidgets.{d['default_exp'].split()[0]}")
            api.setdefault(module.__name__, {})
        if 'hide' in d or (not src.strip() and not cell.get('outputs')): continue
        if ('export' in d or 'exports' in d) and module is not None:
            entries = exported_entries(src, module)
            parts = []
            for qual, obj in entries:
                anchor = qual.lower()
                api.setdefault(module.__name__, {})[qual] = (page, anchor, obj)
                parts.append(api_entry(obj, qual, anchor, level=4 if '.' in qual else 3))
            if not entries and cells and cells[-1].metadata.get('lrw_fold'):   # helpers in a row: one fold
                prev = cells[-1].metadata['lrw_fold']
                prev.append(src)
                cells[-1].source = _folded_source('\n\n'.join(prev), 'exported code')
                continue
            parts.append(_folded_source(src, 'source' if entries else 'exported code'))
            cells.append(_raw('\n'.join(parts)))
            if not entries: cells[-1].metadata['lrw_fold'] = [src]
            continue
        cell.source = src
        if 'echo' in d and d['echo'].lower() == 'false': cell.metadata.setdefault('transient', {})['remove_source'] = True
        if 'output' in d and d['output'].lower() == 'false': cell.outputs = []
        widget_figs = list((figures or {}).get(_cell_key(cell, i), []))
        for o in cell.get('outputs', []):
            data = o.get('data', {})
            if WIDGET_MIME in data:
                figs = widget_figs.pop(0) if widget_figs else None
                text = data.get('text/plain', '')
                text = ''.join(text) if isinstance(text, list) else text
                o['data'] = {'text/html': widget_html(text, figs, store)}
            elif 'text/markdown' in data:   # show_doc and other markdown outputs: Quarto attributes dropped
                md = data['text/markdown']
                data['text/markdown'] = gfm_headings(_clean_showdoc(''.join(md) if isinstance(md, list) else md))
        cells.append(cell)
    nb.cells = cells
    return nb

def title_of(nb, fallback: str) -> str:
    for c in nb.cells:
        if c.cell_type == 'markdown':
            m = re.search(r'^#\s+(.+?)\s*$', c.source, re.M)
            if m: return re.sub(r'[`*_]', '', m.group(1))
    return fallback

# --------------------------------------------------------------------------------------------------------
# Site frame

def nav_html(pages, current: str, site_name: str) -> str:
    cur = ' aria-current="page"'
    items = ''.join(f'<li><a href="{p}"{cur if p == current else ""}>{_esc(t)}</a></li>' for p, t in pages)
    return (f'<nav class="lrw-nav" aria-label="Chapters"><a class="lrw-brand" href="index.html">{_esc(site_name)}</a>'
            f'<ol>{items}</ol></nav>')

def pager_html(pages, current: str) -> str:
    names = [p for p, _ in pages]
    i = names.index(current)
    prev = f'<a class="lrw-prev" href="{pages[i-1][0]}">← {_esc(pages[i-1][1])}</a>' if i > 0 else '<span></span>'
    nxt = f'<a class="lrw-next" href="{pages[i+1][0]}">{_esc(pages[i+1][1])} →</a>' if i + 1 < len(pages) else '<span></span>'
    return f'<nav class="lrw-pager" aria-label="Previous and next">{prev}{nxt}</nav>'

def scripts_html(has_figures: bool) -> str:
    if not has_figures: return ''
    return ''.join(f'<script src="assets/{b}.min.js"></script>' for b in BOKEH_BUNDLES) + '<script src="assets/site.js"></script>'

def link_api_names(body: str, api_index: dict, page: str) -> str:
    "`name` in prose links to its API entry (as nbdev's docs do); not inside headings or existing links."
    def sub(m):
        name = m.group(1)
        hit = api_index.get(name.rstrip('()'))
        if not hit: return m.group(0)
        target = f'#{hit[1]}' if hit[0] == page else f'{hit[0]}#{hit[1]}'
        return f'<a class="lrw-api-link" href="{target}"><code>{name}</code></a>'
    out, depth = [], 0
    for piece in re.split(r'(<a\b[^>]*>|</a>|<h\d[^>]*>|</h\d>)', body):
        if re.match(r'<a\b|<h\d', piece): depth += 1; out.append(piece); continue
        if re.match(r'</a>|</h\d>', piece): depth = max(0, depth-1); out.append(piece); continue
        out.append(piece if depth else re.sub(r'<code>([A-Za-z_][\w.]*(?:\(\))?)</code>', sub, piece))
    return ''.join(out)

def fix_links(body: str, pages_by_nb: dict, repo_url: str, base: Path, out: Path) -> str:
    """Relative links of a page made from a file in `base`: notebooks -> their pages; images and other files a
    page shows (`src`) -> copied into `out/files/`; links to other repository files -> the repository on GitHub."""
    def sub(m):
        attr, url = m.group(1), m.group(2)
        if re.match(r'^([a-z][a-z0-9+.-]*:|#|//)', url, re.I) or not url: return m.group(0)
        path, _, frag = url.partition('#')
        frag = '#' + frag if frag else ''
        if path.endswith('.ipynb') and Path(path).name in pages_by_nb: return f'{attr}="{pages_by_nb[Path(path).name]}{frag}"'
        if path.endswith('.html') or path.startswith('assets/'): return m.group(0)
        target = (base/path).resolve()
        try: rel = target.relative_to(ROOT).as_posix()
        except ValueError: return m.group(0)
        if attr == 'src' and target.is_file():
            dest = out/'files'/rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, dest)
            return f'{attr}="files/{rel}"'
        return f'{attr}="{repo_url}/blob/main/{rel}{frag}"'
    return re.sub(r'\b(href|src)="([^"]*)"', sub, body)

def page_html(title: str, body: str, nav: str, pager: str, scripts: str, site_name: str) -> str:
    return f'''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{_esc(title)} · {_esc(site_name)}</title>
<link rel="stylesheet" href="assets/lab.css">
<link rel="stylesheet" href="assets/pygments.css">
<link rel="stylesheet" href="assets/site.css">
</head>
<body class="lrw-page" data-jp-theme-light="true">
{nav}
<main class="lrw-main"><div class="jp-RenderedHTMLCommon lrw-prose">
{body}
</div>
{pager}
</main>
{scripts}
</body>
</html>
'''

def write_assets(site: Path):
    "CSS (JupyterLab's, pygments', the site's), the site's script and BokehJS from the installed bokeh, once."
    import bokeh, nbconvert
    from pygments.formatters import HtmlFormatter
    assets = site/'assets'
    assets.mkdir(parents=True, exist_ok=True)
    lab = next(Path(p)/'lab'/'static' for p in _template_paths() if (Path(p)/'lab'/'static'/'index.css').exists())
    (assets/'lab.css').write_text((lab/'index.css').read_text() + '\n' + (lab/'theme-light.css').read_text())
    (assets/'pygments.css').write_text(HtmlFormatter(style='default').get_style_defs('.highlight'))
    for f in ('site.css', 'site.js'): shutil.copy(DOCS/f, assets/f)
    js = Path(bokeh.__file__).parent/'server'/'static'/'js'
    for b in BOKEH_BUNDLES: shutil.copy(js/f'{b}.min.js', assets/f'{b}.min.js')

def _template_paths():
    import jupyter_core.paths
    return jupyter_core.paths.jupyter_path('nbconvert', 'templates')

def _settings():
    "The project's name and repository URL, from pyproject.toml (read with a regex: tomllib is Python 3.11+)."
    text = (ROOT/'pyproject.toml').read_text()
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.M).group(1)
    repo = re.search(r'^Repository\s*=\s*"([^"]+)"', text, re.M)
    return name, (repo.group(1) if repo else '')

# --------------------------------------------------------------------------------------------------------

def _exporter_class():
    "nbconvert's HTMLExporter without its final BeautifulSoup pass (alt texts, tabindex): seconds per page saved."
    from nbconvert import HTMLExporter, TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    class _Exporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            resources = self._init_resources(resources)
            self.register_filter('highlight_code', Highlight2HTML(pygments_lexer='ipython3', parent=self))
            self.register_filter('filter_data_type', WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)
    return _Exporter

def build(out=ROOT/'_site', execute=True, jobs=2, cache=ROOT/'.docs_cache', nbs=NBS, log=print) -> dict:
    "Build the site into `out`; returns a summary (pages, figures drawn, widget notes, seconds)."
    import nbformat
    _Exporter = _exporter_class()
    t0 = time.time()
    out = Path(out)
    paths = chapters(nbs)
    texts = {p: p.read_text() for p in paths}   # read once: other writers may change the files meanwhile
    figures = chapter_figures(texts, Path(cache), jobs, log) if execute else {}
    if out.exists(): shutil.rmtree(out)
    write_assets(out)
    site_name, repo_url = _settings()
    nbs_read = {p: nbformat.reads(t, as_version=4) for p, t in texts.items()}
    pages = [('index.html', 'Home')] + [(page_name(p), title_of(nb, p.stem)) for p, nb in nbs_read.items()] + [('api.html', 'API reference')]
    pages_by_nb = {p.name: page_name(p) for p in paths}
    pages_by_nb['index.ipynb'] = 'index.html'
    exporter = _Exporter(template_name='lrdocs', extra_template_basedirs=[str(DOCS/'templates')],
                            exclude_input_prompt=True, exclude_output_prompt=True, anchor_link_text='¶')
    api, rendered, summary = {}, {}, dict(pages=[], figures=0, notes=0)
    for p, nb in nbs_read.items():
        res = figures.get(p, {})
        for e in res.get('errors', []): log(f"warning: {p.name}: {e}")
        store = []
        prepare_notebook(nb, res.get('figures', {}), api, page_name(p), store)
        rendered[p] = nb, store
    api_index = {q: (pg, a) for names in api.values() for q, (pg, a, _) in names.items()}
    for p, (nb, store) in rendered.items():
        name = page_name(p)
        page = dict(title=title_of(nb, p.stem), nav=nav_html(pages, name, site_name), pager=pager_html(pages, name),
                    scripts=scripts_html(bool(store)))
        body, _ = exporter.from_notebook_node(nb, resources=dict(page=page, site=dict(name=site_name)))
        body = fix_links(link_api_names(body, api_index, name), pages_by_nb, repo_url, p.parent, out)
        body = re.sub(r'<!--lrw-figure:(\d+)-->', lambda m: _json_script(store[int(m.group(1))], 'lrw-figure-data'), body)
        (out/name).write_text(body)
        summary['pages'].append(name)
        summary['figures'] += body.count('class="lrw-figure-data"')
        summary['notes'] += body.count('class="lrw-widget-note"')
    # home page: README.md
    readme = md2html((ROOT/'README.md').read_text())
    readme = fix_links(link_api_names(readme, api_index, 'index.html'), pages_by_nb, repo_url, ROOT, out)
    (out/'index.html').write_text(page_html(site_name, readme, nav_html(pages, 'index.html', site_name),
                                            pager_html(pages, 'index.html'), '', site_name))
    # API index: every exported name, by module, linked to its entry; names no chapter documents get their entry here
    top_level = set(getattr(importlib.import_module(site_name), '__all__', ()))
    parts = ['<h1 id="api-reference">API reference</h1>',
             f'<p>Every public name of <code>{site_name}</code>, by module, linked to its entry in the chapter that defines it. '
             f'Names marked <span class="lrw-top">top-level</span> can also be imported from the package: '
             f'<code>from {site_name} import …</code>.</p>']
    for modname in api:
        try: mod = importlib.import_module(modname)
        except ImportError: continue
        names = api.get(modname, {})
        items = []
        for n in getattr(mod, '__all__', ()):
            if n in names:
                pg, anchor, obj = names[n]
                doc = (getattr(obj, '__doc__', '') or '').strip().splitlines() if callable(obj) else []
                line = re.sub(r'^<p>|</p>\s*$', '', md2html(doc[0]).strip()) if doc else ''
                top = ' <span class="lrw-top" title="also importable from the package itself">top-level</span>' if n in top_level else ''
                items.append(f'<li><a href="{pg}#{anchor}"><code>{_esc(n)}</code></a>{top}{" — " + line if line else ""}</li>')
            else:
                anchor = f"{modname.rsplit('.', 1)[1]}.{n}".lower()
                items.append(f'<li>{api_entry(getattr(mod, n), n, anchor)}</li>')
        if items: parts.append(f'<h2 id="{_esc(modname)}"><code>{_esc(modname)}</code></h2><ul class="lrw-api-index">{"".join(items)}</ul>')
    (out/'api.html').write_text(page_html('API reference', '\n'.join(parts), nav_html(pages, 'api.html', site_name),
                                          pager_html(pages, 'api.html'), '', site_name))
    summary['pages'] = ['index.html'] + summary['pages'] + ['api.html']
    summary['seconds'] = round(time.time() - t0, 1)
    return summary

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(ROOT/'_site'), help='folder to write the site into (replaced)')
    ap.add_argument('--no-execute', action='store_true', help='do not run chapters for their figures')
    ap.add_argument('--jobs', type=int, default=2, help='chapters run at once for their figures')
    ap.add_argument('--cache', default=str(ROOT/'.docs_cache'), help="where the figures of unchanged chapters are kept")
    a = ap.parse_args(argv)
    s = build(Path(a.out), execute=not a.no_execute, jobs=a.jobs, cache=Path(a.cache))
    print(f"built {len(s['pages'])} pages into {a.out} in {s['seconds']} s: {s['figures']} figures, {s['notes']} widget notes")

if __name__ == '__main__':
    main()
