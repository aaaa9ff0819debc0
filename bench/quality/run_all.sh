#!/usr/bin/env bash
# The whole suggestion-quality benchmark: oracle grid, range tests, CV selection + trainings, 30 more range tests per task
# for the spread (estimated from the grid), report, tables.
# Usage: bench/quality/run_all.sh            (from the repo root; 2 worker processes, 1 torch thread each)
# From scratch (no caches): rm bench/quality/{grid,recordings,evals,results,spread}.json first (grid ~330 CPU-s, scoring ~300 CPU-s of training plus the suggestions).
set -euo pipefail
cd "$(dirname "$0")/../.."
time python bench/quality/grid.py
time python bench/quality/recs.py
time python bench/quality/score.py --train-peers
time python bench/quality/spread.py
python bench/quality/tables.py
