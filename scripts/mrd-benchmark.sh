#!/usr/bin/env bash
# Detection rate of `ctdna mrd` per tumor fraction and locus count, against
# simulated truth, beside the theoretical limit (3 / informative molecules).
# Prints a Markdown table (the one in docs/mrd.md came from this script).
#
#   scripts/mrd-benchmark.sh                 # defaults below; ~30 min on 2 cores
#   MRD_SEEDS=20 MRD_LOCI=200 MRD_TFS=0,1e-4,1e-3 scripts/mrd-benchmark.sh
#
# Knobs (environment): MRD_SEEDS (10), MRD_LOCI (50,200,1000),
# MRD_TFS (0,1e-5,3e-5,1e-4,3e-4,1e-3,1e-2), MRD_DEPTH (2000),
# MRD_KEEP=dir to keep the simulations (BAMs are deleted after each run).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --release --test mrd_benchmark -- --ignored --nocapture --test-threads 1
