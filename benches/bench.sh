#!/usr/bin/env bash
# Throughput and memory of ctdna against the BAM-decoding floor and peers,
# on one simulated panel, same threads and targets for everyone.
#
#   benches/bench.sh            # full: 100 kb of targets at ~20,000x raw
#   BENCH_SCALE=quick benches/bench.sh   # small panel, a few minutes
#   BENCH_CTDNA=/path/to/other/ctdna benches/bench.sh   # another build, same data
#
# Data sets are generated once with `ctdna simulate` into bench-cache/
# (git-ignored, never committed) and reused. Each command runs BENCH_REPS
# times (default 3); the table gives the median wall time, its CPU time
# (user+sys) and peak RSS from /usr/bin/time, and the ratio of the wall
# time to the decode floor (`samtools view -c`). See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${BENCH_SCALE:-full}
THREADS=${BENCH_THREADS:-2}
REPS=${BENCH_REPS:-3}
CACHE=${BENCH_CACHE:-bench-cache}
PEERS=${BENCH_PEERS:-1}        # 0: skip samtools mpileup / bcftools / perbase
PEER_REPS=${BENCH_PEER_REPS:-1}  # peers are slow at 20,000x: one run each
LIMIT=${BENCH_TIMEOUT:-600}    # seconds; a run past this is reported as '>' the limit
mkdir -p "$CACHE"

case "$SCALE" in
  full)  TARGETS=500; CONTIGS=4; CONTIG_LEN=1000000; DEPTH=5000 ;;
  quick) TARGETS=40;  CONTIGS=2; CONTIG_LEN=200000;  DEPTH=2500 ;;
  *) echo "BENCH_SCALE must be full or quick" >&2; exit 2 ;;
esac
FAMILY=4   # raw depth = molecules x family size

for tool in samtools bcftools /usr/bin/time; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "installing samtools/bcftools/time (apt)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq samtools bcftools tabix time >/dev/null
    break
  fi
done

# shellcheck source=benches/cache.sh
. benches/cache.sh
pick_ctdna

PERBASE=""
if [ "$PEERS" = 1 ]; then
  if [ -x "$CACHE/perbase/bin/perbase" ]; then
    PERBASE=$CACHE/perbase/bin/perbase
  else
    # perbase's own build needs cmake and libclang (ctdna's does not).
    if ! command -v cmake >/dev/null || [ -z "$(ls /usr/lib/llvm-*/lib/libclang.so* 2>/dev/null)" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake libclang-dev >/dev/null 2>&1 || true
    fi
    if cargo install perbase --locked --root "$CACHE/perbase" >"$CACHE/perbase-install.log" 2>&1; then
      PERBASE=$CACHE/perbase/bin/perbase
    else
      echo "perbase could not be installed (see $CACHE/perbase-install.log); its row is skipped" >&2
    fi
  fi
fi

simulate() { # dir depth
  simulate_cached "$1" --seed 11 --contigs "$CONTIGS" --contig-len "$CONTIG_LEN" \
    --targets "$TARGETS" --target-min-len 200 --target-max-len 200 \
    --depth "$2" --family-size "$FAMILY" --bam-compression 6
}

# Median over REPS runs of wall time, CPU time (user+sys) and peak RSS (MB,
# one decimal: the memory figures are ratios of small numbers), as a
# tab-separated row; with FLOOR_CMD set (the decode floor's command, an array),
# the floor runs just before each run and a fifth column is the median of
# the runs' wall time over their floor's: on a machine shared with other
# jobs the speed drifts by +-20% within minutes, and a ratio to a floor
# measured minutes earlier drifts with it.
# A run that exceeds LIMIT seconds is stopped and reported as ">LIMIT".
measure() { # label command...
  local label=$1; shift
  local rows=() ratios=() tf ft fw
  tf=$(mktemp)
  for _ in $(seq "$REPS"); do
    if [ "${#FLOOR_CMD[@]}" -gt 0 ]; then
      /usr/bin/time -o "$tf" -f "%e" "${FLOOR_CMD[@]}" >/dev/null 2>&1
      fw=$(tail -n 1 "$tf")
    fi
    if ! timeout "$LIMIT" /usr/bin/time -o "$tf" -f "%e %U %S %M" "$@" >/dev/null 2>&1; then
      if [ "$(tail -n 1 "$tf" 2>/dev/null | wc -w)" != 4 ] || grep -q "signal" "$tf"; then
        rm -f "$tf"
        printf '%s\t>%s\t-\t-\n' "$label" "$LIMIT"
        return
      fi
    fi
    rows+=("$(tail -n 1 "$tf")")
    if [ "${#FLOOR_CMD[@]}" -gt 0 ]; then
      ft=$(awk '{ print $1 }' <<<"${rows[-1]}")
      ratios+=("$(awk -v a="$ft" -v b="$fw" 'BEGIN { print a / b }')")
    fi
  done
  rm -f "$tf"
  # Each column's own median (the fastest run is not always the smallest).
  med() { printf '%s\n' "${rows[@]}" | awk "{ print $1 }" | sort -g | awk -v n="$REPS" 'NR == int((n + 1) / 2)'; }
  printf '%s\t%s\t%.2f\t%.1f' "$label" "$(med '$1')" "$(med '$2 + $3')" "$(med '$4 / 1024')"
  if [ "${#ratios[@]}" -gt 0 ]; then
    printf '\t%s' "$(printf '%s\n' "${ratios[@]}" | sort -g | awk -v n="$REPS" 'NR == int((n + 1) / 2)')"
  fi
  printf '\n'
}
FLOOR_CMD=()

# Print one table row as it comes: x_floor is the row's paired ratio
# (fifth field) when it has one, else its wall time over `floor_wall`.
row() { # floor_wall row
  awk -F'\t' -v f="$1" '{ if ($2 ~ /^>/) printf "%-44s %9s %9s %9s %9s\n", $1, $2, "-", "-", "-";
    else printf "%-44s %9.2f %9.2f %9.1f %9.2f\n", $1, $2, $3, $4, (NF >= 5) ? $5 : $2 / f }' <<<"$2"
}

header() { printf '%-44s %9s %9s %9s %9s\n' tool wall_s cpu_s rss_MB x_floor; }

run_panel() { # dir
  local d=$1 out
  out=$(mktemp -d)
  local bam=$d/sample.bam ref=$d/ref.fa bed=$d/targets.bed
  local floor f
  header
  floor=$(measure "samtools view -c -@$THREADS -L (decode floor)" samtools view -c -@ "$THREADS" -L "$bed" "$bam")
  f=$(cut -f2 <<<"$floor")
  row "$f" "$floor"
  # ctdna's rows: each run right after a floor run (see `measure`).
  local FLOOR_CMD=(samtools view -c -@ "$THREADS" -L "$bed" "$bam")
  CALL_T=$(measure "ctdna call (fragments) --threads $THREADS" "$CTDNA" call --no-umi --bam "$bam" -r "$ref" -t "$bed" -o "$out/c.vcf.gz" --threads "$THREADS" --quiet)
  row "$f" "$CALL_T"
  CALL_1=$(measure "ctdna call (fragments) --threads 1" "$CTDNA" call --no-umi --bam "$bam" -r "$ref" -t "$bed" -o "$out/c1.vcf.gz" --threads 1 --quiet)
  row "$f" "$CALL_1"
  CALL_U=$(measure "ctdna call (UMI families) --threads $THREADS" "$CTDNA" call --min-tier single --bam "$bam" -r "$ref" -t "$bed" -o "$out/u.vcf.gz" --threads "$THREADS" --quiet)
  row "$f" "$CALL_U"
  # Same VCF records for any thread count (the header holds the command line).
  if ! cmp -s <(zcat "$out/c.vcf.gz" | grep -v '^##') <(zcat "$out/c1.vcf.gz" | grep -v '^##'); then
    echo "ERROR: --threads $THREADS and --threads 1 gave different records" >&2
    exit 1
  fi
  row "$f" "$(measure "ctdna count (fragments) --threads $THREADS" "$CTDNA" count --no-umi --bam "$bam" -r "$ref" -t "$bed" -o "$out/c.tsv" --threads "$THREADS" --quiet)"
  if [ "$PEERS" = 1 ]; then
    local REPS=$PEER_REPS FLOOR_CMD=()
    if [ -n "$PERBASE" ]; then
      row "$f" "$(measure "perbase base-depth --mate-fix -t $THREADS" "$PERBASE" base-depth --mate-fix -t "$THREADS" -b "$bed" -r "$ref" -Q 20 -q 20 -o "$out/p.tsv" "$bam")"
    fi
    row "$f" "$(measure "samtools mpileup -B -d 0 -Q 20 -q 20" samtools mpileup -B -d 0 -Q 20 -q 20 -l "$bed" -f "$ref" -o "$out/s.txt" "$bam")"
    row "$f" "$(measure "bcftools mpileup -a AD -d 1000000 | call -mv" bash -c "bcftools mpileup --threads $THREADS -a AD -d 1000000 -R '$bed' -f '$ref' '$bam' 2>/dev/null | bcftools call -mv -Oz -o '$out/b.vcf.gz'")"
  fi
  rm -rf "$out"
}

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "# scale=$SCALE targets=$TARGETS x 200 bp, molecules=$DEPTH x family $FAMILY (~$((DEPTH * FAMILY))x raw), threads=$THREADS, reps=$REPS (median)"
MAIN=$CACHE/panel-$SCALE-d$DEPTH
simulate "$MAIN" "$DEPTH"
echo "## panel ($(du -h "$MAIN/sample.bam" | cut -f1) BAM)"
run_panel "$MAIN"

MAIN_T=$CALL_T MAIN_1=$CALL_1 MAIN_U=$CALL_U

if [ "${BENCH_LINEAR:-1}" = 1 ]; then
  DOUBLE=$CACHE/panel-$SCALE-d$((DEPTH * 2))
  simulate "$DOUBLE" $((DEPTH * 2))
  echo "## doubled depth ($(du -h "$DOUBLE/sample.bam" | cut -f1) BAM): time should grow <= 2x, memory stay flat"
  PEERS=0 run_panel "$DOUBLE"
  DOUBLE_T=$CALL_T
fi

if [ "${BENCH_MEMORY:-1}" = 1 ]; then
  # Peak RSS against BAM size: the quick panel at 1x and 4x the depth (the
  # 4x set at full scale would be a 7 GB BAM).
  # DEEPER is 4x the reads of SMALL the other way: the same molecules
  # sequenced deeper (families of 16 copies instead of 4).
  SMALL=$CACHE/panel-quick-d2500 LARGE=$CACHE/panel-quick-d10000 DEEPER=$CACHE/panel-quick-d2500-f16
  (TARGETS=40 CONTIGS=2 CONTIG_LEN=200000; simulate "$SMALL" 2500; simulate "$LARGE" 10000
   FAMILY=$((FAMILY * 4)) simulate "$DEEPER" 2500)
  echo "## memory against BAM size: quick panel, $(du -h "$SMALL/sample.bam" | cut -f1) vs $(du -h "$LARGE/sample.bam" | cut -f1) BAM (4x depth)"
  out=$(mktemp -d)
  header
  quick_call() { # label set-dir mode-option...
    local label=$1 dir=$2; shift 2
    measure "$label" "$CTDNA" call "$@" --bam "$dir/sample.bam" -r "$dir/ref.fa" -t "$dir/targets.bed" -o "$out/q.vcf.gz" --threads "$THREADS" --quiet
  }
  MEM_1=$(quick_call "ctdna call, 1x BAM" "$SMALL" --no-umi)
  row "$(cut -f2 <<<"$MEM_1")" "$MEM_1"
  MEM_4=$(quick_call "ctdna call, 4x BAM" "$LARGE" --no-umi)
  row "$(cut -f2 <<<"$MEM_1")" "$MEM_4"
  # UMI mode holds every read of a family until it is complete: with MC,
  # about the mates' offset of coverage, a window proportional to depth.
  UMI_1=$(quick_call "ctdna call (UMI families), 1x BAM" "$SMALL" --min-tier single)
  row "$(cut -f2 <<<"$MEM_1")" "$UMI_1"
  UMI_4=$(quick_call "ctdna call (UMI families), 4x BAM" "$LARGE" --min-tier single)
  row "$(cut -f2 <<<"$MEM_1")" "$UMI_4"
  UMI_F4=$(quick_call "ctdna call (UMI), 4x BAM: 4x family" "$DEEPER" --min-tier single)
  row "$(cut -f2 <<<"$MEM_1")" "$UMI_F4"
  rm -rf "$out"
fi

if [ "${BENCH_HOTSPOT:-1}" = 1 ]; then
  HOT=$CACHE/hotspot
  if [ ! -s "$HOT/pile.bam.bai" ]; then
    echo "writing the hotspot BAMs (once; cached)" >&2
    mkdir -p "$HOT"
    python3 benches/hotspot.py "$HOT" 250000
    for b in pile spread; do
      samtools sort -@ "$THREADS" -o "$HOT/$b.bam" "$HOT/$b.sam" && samtools index "$HOT/$b.bam" && rm "$HOT/$b.sam"
    done
  fi
  echo "## hotspot: 500,000 reads over one position vs the same reads spread evenly"
  out=$(mktemp -d)
  header
  SPREAD=$(measure "ctdna call, reads spread over 20 kb" "$CTDNA" call --bam "$HOT/spread.bam" -r "$HOT/ref.fa" -t "$HOT/targets.bed" -o "$out/s.vcf.gz" --threads "$THREADS" --quiet)
  row "$(cut -f2 <<<"$SPREAD")" "$SPREAD"
  PILE=$(measure "ctdna call, all reads over one position" "$CTDNA" call --bam "$HOT/pile.bam" -r "$HOT/ref.fa" -t "$HOT/targets.bed" -o "$out/p.vcf.gz" --threads "$THREADS" --quiet)
  row "$(cut -f2 <<<"$SPREAD")" "$PILE"
  rm -rf "$out"
fi

# The issue's figures, computed from the rows above (field 2 wall, 3 CPU, 4 RSS).
echo "## figures against the targets"
figure() { # text value limit cmp(le|ge)
  awk -v t="$1" -v v="$2" -v l="$3" -v c="$4" 'BEGIN {
    ok = (c == "le") ? (v <= l) : (v >= l);
    printf "%-58s %7.2f  (%s %s)  %s\n", t, v, (c == "le") ? "<=" : ">=", l, ok ? "met" : "NOT met" }'
}
ratio() { awk -v a="$(cut -f"$3" <<<"$1")" -v b="$(cut -f"$3" <<<"$2")" 'BEGIN { print a / b }'; }
figure "ctdna call --threads $THREADS wall / decode floor" "$(cut -f5 <<<"$MAIN_T")" 2.2 le
figure "ctdna call, UMI families, wall / decode floor" "$(cut -f5 <<<"$MAIN_U")" 4 le
figure "--threads 1 wall / --threads $THREADS wall" "$(ratio "$MAIN_1" "$MAIN_T" 2)" 1.7 ge
[ -n "${DOUBLE_T:-}" ] && figure "doubled depth: wall ratio" "$(ratio "$DOUBLE_T" "$MAIN_T" 2)" 2.2 le
[ -n "${DOUBLE_T:-}" ] && printf '%-58s %7.2f  (no target: the mate waiting room grows with depth)\n' \
  "doubled depth: peak RSS ratio" "$(ratio "$DOUBLE_T" "$MAIN_T" 4)"
[ -n "${MEM_4:-}" ] && figure "4x BAM: peak RSS ratio" "$(ratio "$MEM_4" "$MEM_1" 4)" 1.1 le
[ -n "${UMI_4:-}" ] && figure "4x BAM, UMI families: peak RSS ratio" "$(ratio "$UMI_4" "$UMI_1" 4)" 1.1 le
[ -n "${UMI_F4:-}" ] && figure "4x BAM (4x family), UMI families: peak RSS ratio" "$(ratio "$UMI_F4" "$UMI_1" 4)" 1.1 le
[ -n "${PILE:-}" ] && figure "hotspot: wall ratio pile / spread" "$(ratio "$PILE" "$SPREAD" 2)" 3 le
figure "peak RSS at ~$((DEPTH * FAMILY))x (MB)" "$(cut -f4 <<<"$MAIN_T")" 1024 le
