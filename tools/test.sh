#!/usr/bin/env bash
# Set up a fresh machine and run every test: the pytest suite, every chapter notebook under nbval,
# the browser tests (the documentation site's too: it is built here), and the check that lrwidgets/ is
# exactly what nbdev-export makes of nbs/.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q "torch==2.13.0"            # the CPU build; an unpinned torch pulls GBs of CUDA
python -m pip install -q -e ".[dev]"
if [ ! -x /usr/bin/chromium ]; then                  # Debian's Chromium, for tests/e2e
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
# lrwidgets/ must be what the notebooks export, and the notebooks must be clean
nbdev-export && nbdev-clean && python tools/strip_bokehjs.py
if [ -n "$(git status --porcelain -- lrwidgets nbs)" ]; then
  git status --short -- lrwidgets nbs; git diff --stat -- lrwidgets nbs
  echo "lrwidgets/ or nbs/ out of sync with the notebooks: run nbdev-export && nbdev-clean && python tools/strip_bokehjs.py and commit"; exit 1
fi
# the quality tables in the README and the analysis chapter are what bench/quality/results.json says
python bench/quality/tables.py --check
# the documentation site, _site/ (runs the chapters that show figures; tests/e2e/test_docs_browser.py opens every page)
python tools/build_docs.py
# every test but the one that times the dashboard in the browser, two at a time; that one then alone, on a quiet
# machine (it prints the median click-to-paint of 20 slider moves, which a test running beside it would inflate)
TIMED=tests/e2e/test_widgets_browser.py::test_dashboard_and_multi_run_explorer_in_voila
python -m pytest -n 2 --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg tests nbs --deselect "$TIMED" "$@"
# the chapters' compared outputs must not hang on this CPU's vector kernels: the notebooks again on ATen's plain ones,
# which round differently from AVX2 and AVX-512 (an output whose last digits are chaotic is not compared)
ATEN_CPU_CAPABILITY=default python -m pytest -q -n 2 --dist loadfile -p no:cacheprovider --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg nbs
python -m pytest -s "$TIMED"
