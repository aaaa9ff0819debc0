// Draws the page's bokeh figures. Each <script class="lrw-figure-data"> holds a list of standalone BokehJS
// documents (docs_json, render_items and the div they render into), copied when the chapter ran.
(function () {
  'use strict';
  function draw() {
    document.querySelectorAll('script.lrw-figure-data').forEach(function (el) {
      JSON.parse(el.textContent).forEach(function (fig) {
        var root = document.createElement('div');
        root.className = 'lrw-figure-root';
        root.innerHTML = fig.div;
        el.parentNode.insertBefore(root, el);
        Promise.resolve(Bokeh.embed.embed_items(fig.docs_json, fig.render_items)).then(function () {
          root.setAttribute('data-drawn', 'true');
        }, function (err) { console.error('lrwidgets docs: a figure could not be drawn:', err); });
      });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
