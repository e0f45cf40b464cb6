#!/usr/bin/env bash
# Regenerate test-data/ with `ctdna simulate`. The same ctdna version writes
# byte-identical files (tests/simulate_testdata.rs checks this).
#
# The data set: 2 contigs x 30 kb, 12 targets of 150-250 bp (one on a
# near-duplicate segment, no variants there), 15 somatic variants (4 SNVs +
# 1 indel at each of 2%, 5%, 10% VAF), 4 germline variants, ~1000 unique
# molecules per target base, one read pair per molecule (family size 1;
# --mark-duplicates kept so raising --family-size stays fragment-countable;
# no recurrent artifact sites: the data set predates them and stays as it was).
set -euo pipefail
cd "$(dirname "$0")/.."
CTDNA="${CTDNA:-${CARGO_TARGET_DIR:-target}/release/ctdna}"
if [ ! -x "$CTDNA" ]; then
    cargo build --release
fi
"$CTDNA" simulate --out-dir test-data --seed 42 \
    --contigs 2 --contig-len 30000 --dup-segments 1 \
    --targets 12 --target-min-len 150 --target-max-len 250 --paralog-targets 1 \
    --vaf 0.02,0.05,0.1 --snvs-per-vaf 4 --indels-per-vaf 1 \
    --germline-snvs 3 --germline-indels 1 \
    --depth 1000 --family-size 1 --mark-duplicates --bam-compression 9 \
    --artifact-sites 0
