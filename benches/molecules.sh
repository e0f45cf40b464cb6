#!/usr/bin/env bash
# "Every molecule counts": how close `ctdna call` comes to the Poisson
# sampling limit of the molecules in the tube, on a realistic duplex panel:
# ~2,000 unique molecules a position, PCR families of 1 + negative-binomial
# size (mean 4, dispersion 2: ~16% of molecules read once), dual UMIs, no
# duplicate marks, the default recurrent artifact sites (no paralog
# targets), 12 normals: 10 for the panel of normals, 2 held out and called
# as samples. Configurations, each without and with a PoN of the 10 normals
# (built by `ctdna pon` with the call's UMI options): the default, today's
# tiered test `--min-tier single`, `--min-tier duplex` and `--no-umi`.
#
# Per configuration and per VAF bin and type: sensitivity (PASS TP / truth)
# beside the realised sampling limit (truth variants with >= 2 and >= 3
# simulated alt molecules, INFO/MOLALT) and the fraction of simulated alt
# molecules that reach the test (alt molecules `ctdna count` finds at the
# truth alleles with the call's UMI options / MOLALT); FP (PASS calls
# matching no truth variant, inside the targets) and per 100 kb of target;
# PASS calls on each held-out normal that match no germline variant; CPU
# seconds and peak RSS of the tumour call (/usr/bin/time). Scored in Rust
# (tests/simulate_accuracy.rs, molecule_table_from_env). The simulation is
# cached in bench-cache/ (git-ignored).
#
#   benches/molecules.sh                         # ~18 kb of targets: ~25 min on 2 cores
#   BENCH_MOL_SCALE=quick benches/molecules.sh   # ~3 kb: ~3.5 min (1 min of it simulating, once)
#
# Knobs: BENCH_THREADS (2), BENCH_CACHE (bench-cache/), BENCH_CTDNA=path
# (call, count and pon with that binary instead of building this checkout,
# e.g. to compare two versions on the same cached simulation; the
# simulation itself is made by it too when not cached yet). Every run's
# outputs stay in bench-cache/molecules-<scale>/ (molecule-runs.tsv lists
# them).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${BENCH_CACHE:-bench-cache}
THREADS=${BENCH_THREADS:-2}
case "${BENCH_MOL_SCALE:-default}" in
  default) SCALE=(--contigs 4 --targets 90 --snvs-per-vaf 25 --indels-per-vaf 8) ;;
  quick) SCALE=(--targets 15 --snvs-per-vaf 4 --indels-per-vaf 2) ;;
  *) echo "BENCH_MOL_SCALE must be default or quick" >&2; exit 2 ;;
esac
SIM_ARGS=(--seed 19 "${SCALE[@]}" --depth 2000 --family-size 4 --family-dispersion 2
  --duplex --umi-len 8 --paralog-targets 0 --normals 12)
SIM=$CACHE/molecules-${BENCH_MOL_SCALE:-default}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

if [ -n "${BENCH_CTDNA:-}" ]; then
  CTDNA=$(realpath "$BENCH_CTDNA")
else
  cargo build --release --quiet
  CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna
fi

# shellcheck source=benches/cache.sh
. benches/cache.sh
simulate_cached "$SIM" "${SIM_ARGS[@]}"

COMMON=(-r "$SIM/ref.fa" -t "$SIM/targets.bed" --threads "$THREADS" --quiet)
PON_NORMALS=()
for k in $(seq 1 10); do PON_NORMALS+=(--bam "$SIM/normal_$k.bam"); done
HELD_OUT=(normal_11 normal_12)

RUNS=$SIM/molecule-runs.tsv
: > "$RUNS"
config() { # label name [UMI options...]: count, PoN, then calls without and with it
  local label=$1 name=$2 pon
  shift 2
  # Alt molecules reaching the test: the counts `call` tests with these options.
  "$CTDNA" count --bam "$SIM/sample.bam" --known "$SIM/truth.vcf.gz" "${COMMON[@]}" "$@" \
    -o "$SIM/$name.count.tsv"
  pon=$SIM/$name.pon
  "$TIME" -f "%U %S %M" -o "$SIM/$name.pon.time" \
    "$CTDNA" pon "${PON_NORMALS[@]}" "${COMMON[@]}" "$@" -o "$pon"
  local with suffix pon_args
  for with in no yes; do
    if [ "$with" = yes ]; then suffix=-pon; pon_args=(--pon "$pon"); else suffix=; pon_args=(); fi
    "$TIME" -f "%U %S %M" -o "$SIM/$name$suffix.time" \
      "$CTDNA" call --bam "$SIM/sample.bam" "${COMMON[@]}" "$@" "${pon_args[@]}" \
      -o "$SIM/$name$suffix.vcf.gz"
    local normals=() n
    for n in "${HELD_OUT[@]}"; do
      "$CTDNA" call --bam "$SIM/$n.bam" "${COMMON[@]}" "$@" "${pon_args[@]}" \
        -o "$SIM/$name$suffix.$n.vcf.gz"
      normals+=("$SIM/$name$suffix.$n.vcf.gz")
    done
    local user sys rss
    read -r user sys rss < "$SIM/$name$suffix.time"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
      "$label$([ "$with" = yes ] && echo ', PoN' || true)" "$SIM/$name$suffix.vcf.gz" \
      "$SIM/$name.count.tsv" "$(echo "$user + $sys" | bc)" "$rss" \
      "$(IFS=,; echo "${normals[*]}")" >> "$RUNS"
  done
  read -r user sys rss < "$SIM/$name.pon.time"
  echo "pon ($label): $(echo "$user + $sys" | bc) CPU s, $((rss / 1024)) MB" >> "$SIM/pon-times.txt"
}
: > "$SIM/pon-times.txt"
config "default" default
config "--min-tier single" single --min-tier single
config "--min-tier duplex" duplex --min-tier duplex
config "--no-umi" noumi --no-umi

echo "## ctdna call: every molecule counts ($("$CTDNA" --version), simulate ${SIM_ARGS[*]})"
cat <<'EOF'
Per run (tumour sample.bam; "PoN" = --pon of normal_1..10 built with the run's UMI options):
  TP = truth variants with a PASS call; sens = TP/truth
  k>=2, k>=3 = realised sampling limit: fraction of truth variants with >= k simulated alt
    molecules (truth INFO/MOLALT); sens/k3 = sens / (k>=3)
  alt_sim = simulated alt molecules (sum of MOLALT); alt_cnt = alt molecules `ctdna count
    --known truth.vcf.gz` finds at the truth alleles with the run's UMI options (what the test
    sees, written to the VCF or not); reach = alt_cnt / alt_sim. With --no-umi on this BAM
    without duplicate marks every PCR copy is a fragment: alt_cnt counts read pairs, so reach
    is ~ the mean family size, not a share of molecules
  FP = PASS calls matching no truth variant (somatic or germline) inside the targets
  PASS on held-out normals = PASS calls on normal_11, normal_12 matching no germline variant
  CPU s and peak RSS: the tumour call (/usr/bin/time)
EOF
SIM_DIR=$SIM RUNS=$RUNS cargo test --release --quiet --test simulate_accuracy molecule_table_from_env -- --ignored --nocapture 2>/dev/null \
  | grep -v -E '^(running|test |\.?$)|test result'
cat "$SIM/pon-times.txt"
