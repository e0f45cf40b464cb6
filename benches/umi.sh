#!/usr/bin/env bash
# UMI tiers against simulated truth: one `ctdna simulate` panel with dual
# UMIs (duplex), PCR families, PCR/sequencing/UMI errors and oxoG damage,
# called counting fragments (--no-umi, one read pair per molecule: the
# other PCR copies are flagged as duplicates; and once with
# --keep-duplicates, every copy counted) and in UMI mode with every
# molecule weighed by class (the default), --min-tier single and duplex. Each call set is scored
# against the truth and one table is printed: TP/truth per type and VAF
# bin (1-5% pooled), PASS false positives (count and per Mb of target), CPU
# seconds and peak RSS (/usr/bin/time), also relative to fragment mode.
# No recurrent artifact sites or paralog targets: errors carried by the
# molecules themselves are what a panel of normals removes, not consensus.
# The simulation is cached in bench-cache/ (git-ignored).
#
#   benches/umi.sh                     # 150 targets, 3,000 molecules x 4 copies: ~4 min on 2 cores
#   BENCH_UMI_SCALE=quick benches/umi.sh   # 30 targets, 2,000 x 4: ~30 s
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${BENCH_CACHE:-bench-cache}
THREADS=${BENCH_THREADS:-2}
case "${BENCH_UMI_SCALE:-default}" in
  default) SCALE=(--contigs 6 --targets 150 --depth 3000 --snvs-per-vaf 20 --indels-per-vaf 6) ;;
  quick) SCALE=(--targets 30 --depth 2000 --snvs-per-vaf 4 --indels-per-vaf 2) ;;
  *) echo "BENCH_UMI_SCALE must be default or quick" >&2; exit 2 ;;
esac
SIM_ARGS=(--seed 5 "${SCALE[@]}" --family-size 4 --duplex --mark-duplicates
  --paralog-targets 0 --artifact-sites 0 --pcr-error-rate 0.0002 --umi-error-rate 0.02)
SIM=$CACHE/umi-${BENCH_UMI_SCALE:-default}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet
CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna

# shellcheck source=benches/cache.sh
. benches/cache.sh
simulate_cached "$SIM" "${SIM_ARGS[@]}"

RUNS=$SIM/runs.tsv
: > "$RUNS"
run() { # label name [call options...]
  local label=$1 name=$2
  shift 2
  "$TIME" -f "%U %S %M" -o "$SIM/$name.time" \
    "$CTDNA" call --bam "$SIM/sample.bam" -r "$SIM/ref.fa" -t "$SIM/targets.bed" \
    -o "$SIM/$name.vcf.gz" --threads "$THREADS" --quiet "$@"
  read -r user sys rss < "$SIM/$name.time"
  printf '%s\t%s\t%s\t%s\n' "$label" "$SIM/$name.vcf.gz" \
    "$(echo "$user + $sys" | bc)" "$rss" >> "$RUNS"
}
run "fragments (--no-umi)" fragments --no-umi
# The same without duplicate marking: every PCR copy counted as a fragment.
run "fragments, duplicates kept" fragments-dups --no-umi --keep-duplicates
run "UMI every molecule (default)" umi-raw
run "UMI single (--min-tier single)" umi-single --min-tier single
run "UMI duplex (--min-tier duplex)" umi-duplex --min-tier duplex

echo "## ctdna call by mode / tier: ${SIM_ARGS[*]}"
SIM_DIR=$SIM RUNS=$RUNS cargo test --release --quiet --test simulate_accuracy score_table_from_env -- --ignored --nocapture 2>/dev/null \
  | grep -v -E '^(running|test |\.?$)|test result'
