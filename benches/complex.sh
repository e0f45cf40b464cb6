#!/usr/bin/env bash
# MNVs and long indels (issue 21): how `ctdna call` finds multi-base
# substitutions and long indels on a simulated UMI panel of ~1,000 unique
# molecules a position (PCR families of 1 + negative-binomial size, mean 4,
# dispersion 2; dual UMIs; no duplicate marks; no paralog targets). Per VAF
# bin (0.5%, 1%, 2%, 5%): 10 SNVs, 6 short indels, 16 MNVs (8 adjacent
# like BRAF V600K GT>AA, 8 with an unchanged middle base) and 32 long
# indels (8 deletions of 15 bp, 8 of 18 bp, 16 tandem duplications of
# 9-30 bp). Reads soft-clip an indel near their end as bwa mem would
# (docs/simulate.md, "Alignment").
#
# Prints the per-type table (src/simulate/score/types.rs): an MNV counts
# only as ONE record with its exact POS/REF/ALT; written as SNVs it is
# missed ("split", and those SNV calls are not FP); k>=3 is the realised
# limit (truth variants with >= 3 alt molecules, INFO/MOLALT, clipped reads
# included); FP per 100 kb of target. Then the call's CPU seconds and peak
# RSS (/usr/bin/time). Then the same call with a panel of normals built
# from BENCH_NORMALS (6) simulated normals of the same genome: the
# simulated recurrent artifact sites (artifacts.bed; every sample shows
# them, which is what a PoN is for) are FP without it. The simulation is
# cached in bench-cache/.
#
#   benches/complex.sh                         # ~25 kb of targets
#   BENCH_CTDNA=path/to/ctdna benches/complex.sh   # call with another binary
#   BENCH_DELINS=1 benches/complex.sh          # the same panel plus 8 delins
#                                              # per VAF (15/18 bp deletions with
#                                              # a substitution beside them), cached
#                                              # apart in bench-cache/complex-delins
#
# Knobs: BENCH_THREADS (2), BENCH_CACHE (bench-cache/), BENCH_CTDNA (default
# target/release/ctdna of this checkout, built if missing), BENCH_NORMALS (6;
# 0: no PoN run).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${BENCH_CACHE:-bench-cache}
THREADS=${BENCH_THREADS:-2}
NORMALS=${BENCH_NORMALS:-6}
SIM_ARGS=(--seed 21 --contigs 4 --targets 90 --target-min-len 250 --target-max-len 350
  --vaf 0.005,0.01,0.02,0.05 --snvs-per-vaf 10 --indels-per-vaf 6
  --mnvs-per-vaf 16 --long-indels-per-vaf 32
  --depth 1000 --family-size 4 --family-dispersion 2 --duplex --umi-len 8 --paralog-targets 0
  --normals "$NORMALS")
SIM=$CACHE/complex
if [ -n "${BENCH_DELINS:-}" ]; then
  SIM_ARGS+=(--delins-per-vaf 8)
  SIM=$CACHE/complex-delins
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

if [ -n "${BENCH_CTDNA:-}" ]; then
  CTDNA=$(realpath "$BENCH_CTDNA")
else
  CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna
  [ -x "$CTDNA" ] || cargo build --release --quiet
fi
# The simulator of this checkout makes the data (an older binary may not
# know --mnvs-per-vaf); BENCH_CTDNA only calls.
SIMULATOR=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna
[ -x "$SIMULATOR" ] || cargo build --release --quiet

# shellcheck source=benches/cache.sh
CALLER=$CTDNA
CTDNA=$SIMULATOR
. benches/cache.sh
simulate_cached "$SIM" "${SIM_ARGS[@]}"
CTDNA=$CALLER

OUT=$SIM/calls-$(echo "$("$CTDNA" --version)" | tr -c 'A-Za-z0-9.\n' '_').vcf.gz
"$TIME" -f "%e %U %S %M" -o "$SIM/call.time" \
  "$CTDNA" call --bam "$SIM/sample.bam" -r "$SIM/ref.fa" -t "$SIM/targets.bed" \
  --threads "$THREADS" --quiet -o "$OUT"
read -r wall user sys rss < "$SIM/call.time"

echo "## MNVs and long indels ($("$CTDNA" --version), simulate ${SIM_ARGS[*]})"
score() { # calls.vcf.gz
  SIM_DIR=$SIM CALLS=$1 cargo test --release --quiet --test simulate_accuracy score_from_env \
    -- --ignored --nocapture 2>/dev/null | grep -v -E '^(running|test |\.?$)|test result|^FP '
}
score "$OUT"
echo "call: $wall s wall, $(echo "$user + $sys" | bc) CPU s, $((rss / 1024)) MB peak RSS (--threads $THREADS)"

if [ "$NORMALS" -gt 0 ]; then
  normals=()
  for k in $(seq 1 "$NORMALS"); do normals+=(--bam "$SIM/normal_$k.bam"); done
  "$CTDNA" pon "${normals[@]}" -r "$SIM/ref.fa" -t "$SIM/targets.bed" -o "$SIM/normals.pon" \
    --threads "$THREADS" --quiet
  PON_OUT=${OUT%.vcf.gz}-pon.vcf.gz
  "$CTDNA" call --bam "$SIM/sample.bam" -r "$SIM/ref.fa" -t "$SIM/targets.bed" \
    --pon "$SIM/normals.pon" --threads "$THREADS" --quiet -o "$PON_OUT"
  echo
  echo "## the same with --pon ($NORMALS simulated normals)"
  score "$PON_OUT"
fi
