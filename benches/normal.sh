#!/usr/bin/env bash
# Matched normal (issue 26): `ctdna call --normal` on a simulated plasma /
# white-blood-cell pair. Plasma ~2,000 unique molecules a position
# (fragments, no UMIs); 150 tumour variants (per VAF 0.1%, 0.2%, 0.5%, 1%,
# 2%, 5%: 20 SNVs and 5 short indels); 20 clonal-haematopoiesis (CHIP)
# SNVs at 0.5%, 1%, 2%, 5% in plasma (5 each), at VAF / 0.8 in the normal;
# 5 germline variants; recurrent artifact sites shown by every sample.
# The normal at ~2,000 and at ~500 molecules a position (same plasma reads:
# the simulator's streams are per sample).
#
# Prints, per run (tumour-only, normal 2,000, normal 500): the scorer's
# table (tumour sensitivity per type and VAF, CHIP and germline PASS, FP),
# how many PASS CHIP calls carry no NormalLowDepth label, and CPU seconds
# (user + sys, /usr/bin/time) of: the tumour-only call, the call with the
# normal, and a call of the normal alone (the cost figure: the normal's
# extra CPU against counting it alone).
#
#   benches/normal.sh
#
# Knobs: BENCH_THREADS (2), BENCH_CACHE (bench-cache/), BENCH_CTDNA (default
# target/release/ctdna of this checkout, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${BENCH_CACHE:-bench-cache}
THREADS=${BENCH_THREADS:-2}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
command -v bcftools >/dev/null || { echo "needs bcftools" >&2; exit 1; }
if [ -n "${BENCH_CTDNA:-}" ]; then
  CTDNA=$(realpath "$BENCH_CTDNA")
else
  CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna
  [ -x "$CTDNA" ] || cargo build --release --quiet
fi
BASE=(--seed 26 --targets 60 --vaf 0.001,0.002,0.005,0.01,0.02,0.05 --snvs-per-vaf 20
  --indels-per-vaf 5 --chip-per-vaf 5 --chip-vaf 0.005,0.01,0.02,0.05 --depth 2000)
# shellcheck source=benches/cache.sh
. benches/cache.sh
simulate_cached "$CACHE/normal-2000" "${BASE[@]}" --matched-normal-depth 2000
simulate_cached "$CACHE/normal-500" "${BASE[@]}" --matched-normal-depth 500
SIM=$CACHE/normal-2000

cpu() { # label out-vcf call-args...
  local label=$1 out=$2
  shift 2
  "$TIME" -f "%U %S %e" -o "$SIM/$label.time" "$CTDNA" call -r "$SIM/ref.fa" \
    -t "$SIM/targets.bed" --threads "$THREADS" --quiet -o "$out" "$@"
  read -r user sys wall < "$SIM/$label.time"
  echo "$(echo "$user + $sys" | bc) $wall"
}
score() { # calls-vcf
  SIM_DIR=$SIM CALLS=$1 cargo test --release --quiet --test simulate_accuracy score_from_env \
    -- --ignored --nocapture 2>/dev/null | grep -v -E '^(running|test |\.?$)|test result|^FP ' \
    | awk '/^type +VAF +truth +TP +split/{exit} {print}'
}
unlabelled() { # calls-vcf: PASS CHIP calls without INFO/NormalLowDepth
  bcftools view -H -i 'INFO/ORIGIN="chip"' "$SIM/truth.vcf.gz" | cut -f1,2,4,5 | sort > "$SIM/chip.keys"
  bcftools view -H -f PASS -e 'INFO/NormalLowDepth=1' "$1" | cut -f1,2,4,5 | sort \
    | comm -12 - "$SIM/chip.keys" | wc -l
}

echo "## Matched normal ($("$CTDNA" --version), simulate ${BASE[*]})"
read -r to_cpu to_wall < <(cpu tumour "$SIM/calls-tumour-only.vcf.gz" --bam "$SIM/sample.bam")
echo "### tumour-only ($to_cpu CPU s, $to_wall s wall)"
score "$SIM/calls-tumour-only.vcf.gz"
for depth in 2000 500; do
  out=$SIM/calls-normal-$depth.vcf.gz
  read -r alone_cpu _ < <(cpu "alone$depth" "$SIM/calls-normal-alone.vcf.gz" \
    --bam "$CACHE/normal-$depth/matched_normal.bam")
  read -r n_cpu n_wall < <(cpu "normal$depth" "$out" --bam "$SIM/sample.bam" \
    --normal "$CACHE/normal-$depth/matched_normal.bam")
  echo "### with a $depth-molecule normal ($n_cpu CPU s, $n_wall s wall)"
  score "$out"
  echo "PASS CHIP calls without the NormalLowDepth label: $(unlabelled "$out")"
  echo "cost of the normal: $(echo "$n_cpu - $to_cpu" | bc) CPU s over tumour-only; calling the normal alone: $alone_cpu CPU s"
done
