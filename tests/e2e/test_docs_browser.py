"""The documentation site (`python tools/build_docs.py` -> `_site/`) in Chromium, served from 127.0.0.1.

Every page: no console error, no request to another host, no failed request; every bokeh figure drawn (a
canvas with painted pixels); every internal link and anchor resolves; the chapter list reaches every page.
`_site/` is used as `tools/test.sh` left it when it is newer than the notebooks, the README and the
builder; otherwise it is rebuilt (figures of unchanged chapters come from the builder's cache).
LRWIDGETS_DOCS_SITE=<folder> tests a site built elsewhere, as it is.
"""
import importlib, json, os, re, subprocess, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from browser_helpers import ARTIFACTS, Server, free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get('LRWIDGETS_DOCS_SITE', ROOT/'_site'))   # another built site: tested as it is
sys.path.insert(0, str(ROOT/'tools'))
import build_docs  # noqa: E402

pytestmark = pytest.mark.timeout(900)

def _stale() -> bool:
    index = SITE/'index.html'
    if not index.exists(): return True
    inputs = [*(ROOT/'nbs').glob('*.ipynb'), ROOT/'README.md', ROOT/'tools'/'build_docs.py', *(ROOT/'tools'/'docs').rglob('*.*')]
    return max(p.stat().st_mtime for p in inputs) > index.stat().st_mtime

@pytest.fixture(scope='module')
def site():
    if 'LRWIDGETS_DOCS_SITE' not in os.environ and _stale(): subprocess.run([sys.executable, str(ROOT/'tools'/'build_docs.py')], cwd=ROOT, check=True)
    return SITE

@pytest.fixture(scope='module')
def base_url(site):
    port = free_port()
    with Server([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1', '--directory', str(site)],
                cwd=ARTIFACTS) as srv:
        wait_port(port, srv.proc)
        yield f'http://127.0.0.1:{port}/'

def _pages(site): return sorted(p.name for p in site.glob('*.html'))

class _Links(HTMLParser):
    "hrefs/srcs and element ids of one HTML file."
    def __init__(self, text):
        super().__init__(); self.links, self.ids = [], set(); self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        for k in ('href', 'src'):
            if a.get(k) is not None: self.links.append(a[k])

# ---------------------------------------------------------------------------------------------------------
# Without a browser: what the builder makes of the chapters

def test_every_chapter_has_a_page_and_the_nav_lists_them(site):
    chapters = build_docs.chapters()
    assert chapters, "no chapter notebooks found"
    index = (site/'index.html').read_text()
    for nb in chapters:
        page = build_docs.page_name(nb)
        assert (site/page).exists(), f"{nb.name} has no page {page}"
        assert f'href="{page}"' in index, f"{page} is not in the chapter list"
    assert (site/'api.html').exists() and 'href="api.html"' in index

def test_internal_links_and_anchors_resolve(site):
    parsed = {p: _Links((site/p).read_text()) for p in _pages(site)}
    bad = []
    for page, links in parsed.items():
        for url in links.links:
            if re.match(r'^[a-z][a-z0-9+.-]*:', url, re.I):
                assert not url.startswith(('http://127.', 'file:')), f"{page}: link to a local address {url}"
                continue   # links out (the repository) are not requested by the page
            path, _, frag = url.partition('#')
            target = page if not path else path
            if not (site/target).exists(): bad.append(f"{page}: {url} (no file)"); continue
            if frag and target.endswith('.html') and frag not in parsed[target].ids: bad.append(f"{page}: {url} (no anchor)")
    assert not bad, "broken internal links:\n" + '\n'.join(bad)

def test_every_exported_name_has_an_api_entry(site):
    ids = set()
    for p in _pages(site): ids |= _Links((site/p).read_text()).ids
    missing = []
    for nb in build_docs.chapters():
        m = re.search(r'#\|\s*default_exp\s+([\w.]+)', nb.read_text())
        if not m: continue
        mod = importlib.import_module(f'lrwidgets.{m.group(1)}')
        short = mod.__name__.rsplit('.', 1)[1]
        missing += [f'{mod.__name__}.{n}' for n in mod.__all__ if n.lower() not in ids and f'{short}.{n}'.lower() not in ids]
    assert not missing, f"exported names without an API entry: {missing}"
    analysis = (site/'analysis.html').read_text()
    entry = re.search(r'<section class="lrw-api" id="smooth">(.*?)</section>', analysis, re.S)
    assert entry, "no API entry for smooth on analysis.html"
    text = re.sub(r'<[^>]+>', '', entry.group(1))
    assert 'window' in text and 'raw per-batch losses' in text, "smooth's entry lacks its signature's docments"
    assert '{target=' not in analysis and 'LNone' not in analysis

def test_show_doc_output_in_a_notebook_renders(tmp_path):
    "nbdev's own `show_doc` output (markdown with Quarto attributes) renders as HTML on a page."
    import nbformat
    from nbdev.showdoc import show_doc
    from lrwidgets.analysis import smooth
    md = show_doc(smooth)._repr_markdown_()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('# Tiny\n> a chapter'),
        nbformat.v4.new_code_cell('show_doc(smooth)', outputs=[nbformat.v4.new_output('execute_result', {'text/markdown': md, 'text/plain': '<...>'}, execution_count=1)])])
    (tmp_path/'nbs').mkdir()
    nbformat.write(nb, tmp_path/'nbs'/'00_tiny.ipynb')
    build_docs.build(tmp_path/'site', execute=False, nbs=tmp_path/'nbs', log=lambda *a: None)
    page = (tmp_path/'site'/'tiny.html').read_text()
    assert re.search(r'<h3[^>]*>smooth', page), "show_doc's heading is not rendered"
    assert 'raw per-batch losses' in page and '{target=' not in page and '```' not in page

def test_markdown_as_jupyterlab_reads_it():
    "`#1234` wrapped onto a line's start is text, as in JupyterLab (nbconvert alone makes it a heading); code keeps its `#`."
    html = build_docs.md2html('- fixed (fastai #2892, Lightning\n  #6675). More\n\n# Title\n\n```python\n#comment\n```')
    assert html.count('<h1') == 1 and '#6675). More' in html and '<span class="c1">#comment</span>' in html

# ---------------------------------------------------------------------------------------------------------
# In Chromium

_FIGURES_JS = '''() => {
  const canvases = (node, out) => {
    for (const el of node.querySelectorAll('*')) { if (el.tagName === 'CANVAS') out.push(el); if (el.shadowRoot) canvases(el.shadowRoot, out); }
    return out; };
  return [...document.querySelectorAll('.lrw-figure-root')].map(root => {
    let painted = 0, webgl = 0;
    const cs = canvases(root, []);
    for (const c of cs) {
      if (!c.width || !c.height) continue;
      const ctx = c.getContext('2d');
      if (!ctx) { webgl++; continue; }
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0; for (let i = 3; i < d.length; i += 4 * 7) if (d[i]) n++;
      painted = Math.max(painted, n);
    }
    const r = root.getBoundingClientRect();
    return {drawn: root.dataset.drawn === 'true', canvases: cs.length, painted, webgl, width: r.width, height: r.height};
  });
}'''

def test_pages_in_chromium(site, base_url, page):
    problems, n_figures, console, failed = [], 0, [], []
    page.on('console', lambda m: console.append(f'{m.type}: {m.text}'))
    page.on('requestfailed', lambda r: failed.append(f'{r.url} {r.failure}'))
    page.on('response', lambda r: failed.append(f'{r.url} {r.status}') if r.status >= 400 else None)
    for name in _pages(site):
        for log in (page.log.requests, page.log.errors, console, failed): log.clear()
        page.goto(urljoin(base_url, name), wait_until='load')
        n_data = page.locator('script.lrw-figure-data').count()
        expected = sum(len(json.loads(page.locator('script.lrw-figure-data').nth(i).text_content())) for i in range(n_data))
        if expected:
            try:   # every figure drawn and painted; if not in time, the checks below say which and why
                page.wait_for_function(f"() => ({_FIGURES_JS})().every(f => f.drawn && (f.painted > 0 || f.webgl > 0))", timeout=30_000)
            except PlaywrightTimeout: pass
        figs = page.evaluate(_FIGURES_JS)
        n_figures += len(figs)
        if len(figs) != expected: problems.append(f"{name}: {expected} figures stored, {len(figs)} on the page")
        for i, f in enumerate(figs):
            if not (f['drawn'] and f['canvases'] and (f['painted'] > 0 or f['webgl'])) or f['width'] < 100 or f['height'] < 100:
                problems.append(f"{name}: figure {i} not drawn: {f}")
        if page.locator('.lrw-missing-figure').count(): problems.append(f"{name}: a bokeh figure is missing (the chapter was not run, or failed)")
        if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count(): problems.append(f"{name}: a raw widget view")
        if 'Loading widget' in page.content(): problems.append(f"{name}: a broken widget")
        errors = [c for c in console if c.startswith('error')] + page.log.errors
        if errors: problems.append(f"{name}: console errors {errors}")
        if failed: problems.append(f"{name}: failed requests {failed}")
        if page.log.off_host(): problems.append(f"{name}: requests to other hosts {page.log.off_host()}")
        bokeh_js = [u for u in page.log.requests if re.search(r'bokeh[\w.-]*\.js', u)]
        if any(not u.startswith(urljoin(base_url, 'assets/')) for u in bokeh_js): problems.append(f"{name}: BokehJS from elsewhere {bokeh_js}")
        if expected and not any(u.endswith('assets/bokeh.min.js') for u in bokeh_js): problems.append(f"{name}: BokehJS not loaded")
    assert not problems, '\n'.join(problems)
    assert n_figures >= 10, f"only {n_figures} bokeh figures on the whole site"

def test_navigation_in_chromium(site, base_url, page):
    "The chapter list and the next links take a reader from the home page through every page."
    page.goto(urljoin(base_url, 'index.html'))
    nav = [a.get_attribute('href') for a in page.locator('nav.lrw-nav ol a').all()]
    assert nav[0] == 'index.html' and nav[-1] == 'api.html' and set(nav) == set(_pages(site))
    seen = ['index.html']
    while page.locator('a.lrw-next').count():
        page.locator('a.lrw-next').click()
        page.wait_for_load_state('load')
        seen.append(urlsplit(page.url).path.rsplit('/', 1)[1])
        assert page.locator('nav.lrw-nav a[aria-current="page"]').get_attribute('href') == seen[-1]
    assert seen == nav, f"the next links go {seen}, the chapter list is {nav}"
    page.goto(urljoin(base_url, 'widgets.html'))
    note = page.locator('.lrw-widget-note').first
    assert note.is_visible() and 'Jupyter' in note.text_content()

@pytest.mark.parametrize('width', [1280, 700])
def test_screenshots(site, base_url, browser, width):
    "Every page at two widths (screenshots for a person to look at); at 700 px the chapter list sits above the page; no page scrolls sideways."
    ctx = browser.new_context(viewport={'width': width, 'height': 900})
    pg = ctx.new_page()
    try:
        for name in _pages(site):
            pg.goto(urljoin(base_url, name))
            if pg.locator('script.lrw-figure-data').count():
                pg.wait_for_function("() => [...document.querySelectorAll('.lrw-figure-root')].every(r => r.dataset.drawn === 'true')", timeout=60_000)
            pg.screenshot(path=str(ARTIFACTS/f'docs-{width}-{name[:-5]}.png'))   # the first screen: full pages are ~25 000 px
            overflow = pg.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name} at {width} px scrolls sideways by {overflow} px"
            if width < 900:
                box, main = pg.locator('nav.lrw-nav').bounding_box(), pg.locator('main').bounding_box()
                assert box['y'] + box['height'] <= main['y'] + 1, "the chapter list overlaps the page on a narrow screen"
    finally: ctx.close()
