#!/usr/bin/env bash
# Accuracy against simulated truth: ctdna call without and with a panel of
# normals, and bcftools (a germline caller) when installed, on one
# `ctdna simulate` panel at ~2,000x unique molecules / ~8,000x raw reads.
# Prints the scorer's per-VAF-bin table for each (TP, FN, sensitivity, the
# Poisson sampling limit, FP per Mb). Data is cached in bench-cache/.
#
#   benches/accuracy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${BENCH_CACHE:-bench-cache}
THREADS=${BENCH_THREADS:-2}
SIM=$CACHE/accuracy-seed3
cargo build --release --quiet
CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna

# shellcheck source=benches/cache.sh
. benches/cache.sh
simulate_cached "$SIM" --seed 3 --depth 2000 --family-size 4 --mark-duplicates --normals 10
normals=()
for i in $(seq 1 10); do normals+=(--bam "$SIM/normal_$i.bam"); done
# One PoN per kind of molecule: `call` refuses a PoN fitted on other
# molecules (the normals have UMI families, so `pon` builds a single-tier
# PoN by default; `--no-umi` the fragment one).
"$CTDNA" pon "${normals[@]}" -r "$SIM/ref.fa" -t "$SIM/targets.bed" -o "$SIM/normals.pon" --threads "$THREADS" --quiet
"$CTDNA" pon --no-umi "${normals[@]}" -r "$SIM/ref.fa" -t "$SIM/targets.bed" -o "$SIM/normals-frag.pon" --threads "$THREADS" --quiet
"$CTDNA" call --bam "$SIM/sample.bam" -r "$SIM/ref.fa" -t "$SIM/targets.bed" -o "$SIM/ctdna.vcf.gz" --threads "$THREADS" --quiet
"$CTDNA" call --bam "$SIM/sample.bam" -r "$SIM/ref.fa" -t "$SIM/targets.bed" --pon "$SIM/normals.pon" -o "$SIM/ctdna-pon.vcf.gz" --threads "$THREADS" --quiet
# Fragment mode (the simulated reads have UMI families, so `call` runs in
# UMI mode by default).
"$CTDNA" call --no-umi --bam "$SIM/sample.bam" -r "$SIM/ref.fa" -t "$SIM/targets.bed" -o "$SIM/ctdna-frag.vcf.gz" --threads "$THREADS" --quiet
"$CTDNA" call --no-umi --bam "$SIM/sample.bam" -r "$SIM/ref.fa" -t "$SIM/targets.bed" --pon "$SIM/normals-frag.pon" -o "$SIM/ctdna-frag-pon.vcf.gz" --threads "$THREADS" --quiet

score() { # label calls [dot_is_pass]
  echo "## $1"
  SIM_DIR=$SIM CALLS=$2 DOT_IS_PASS=${3:-0} cargo test --release --quiet --test simulate_accuracy score_from_env -- --ignored --nocapture 2>/dev/null \
    | grep -v -E '^(running|test |$)|test result'
}
score "ctdna call (default: every UMI molecule, weighed by class; sample context model)" "$SIM/ctdna.vcf.gz"
score "ctdna call --pon (10 normals, default-tier PoN)" "$SIM/ctdna-pon.vcf.gz"
score "ctdna call --no-umi (fragments, sample context model)" "$SIM/ctdna-frag.vcf.gz"
score "ctdna call --no-umi --pon (fragments, 10 normals, fragment PoN)" "$SIM/ctdna-frag-pon.vcf.gz"
if command -v bcftools >/dev/null 2>&1; then
  bcftools mpileup --threads "$THREADS" -a AD -d 1000000 -R "$SIM/targets.bed" -f "$SIM/ref.fa" "$SIM/sample.bam" 2>/dev/null \
    | bcftools call -mv -Oz -o "$SIM/bcftools.vcf.gz" 2>/dev/null
  score "bcftools mpileup | call -mv (FILTER '.' counted as PASS)" "$SIM/bcftools.vcf.gz" 1
else
  echo "## bcftools not installed: its row is skipped"
fi
