#!/usr/bin/env bash
# The whole suggestion-quality benchmark: oracle grid, range tests, CV selection + trainings + report, tables.
# Usage: bench/quality/run_all.sh            (from the repo root; 2 worker processes, 1 torch thread each)
# From scratch (no caches): rm bench/quality/{grid,recordings,evals,results}.json first (grid ~330 CPU-s, scoring ~300 CPU-s of training plus the suggestions).
set -euo pipefail
cd "$(dirname "$0")/../.."
time python bench/quality/grid.py
time python bench/quality/recs.py
time python bench/quality/score.py --train-peers
python bench/quality/tables.py
