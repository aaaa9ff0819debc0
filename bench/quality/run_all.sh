#!/usr/bin/env bash
# The whole suggestion-quality benchmark: oracle grid, then range tests + suggestions + trainings + report.
# Usage: bench/quality/run_all.sh            (from the repo root; 2 worker processes, 1 torch thread each)
# Starting from scratch (no cache): rm bench/quality/{grid,evals,results}.json first.
set -euo pipefail
cd "$(dirname "$0")/../.."
time python bench/quality/grid.py
time python bench/quality/score.py
