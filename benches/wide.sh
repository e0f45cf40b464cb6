#!/usr/bin/env bash
# Wide panels: wall, CPU and peak RSS of ctdna call/count/mrd as the panel
# grows from 1 to 20 Mb of targets, against the BAM-decoding floor
# (`samtools view -c -M -L`: through the index) on the same panel; UMI mode on 5 Mb at ~300x raw;
# `ctdna pon` over 10 normals at 5 Mb. Issue 25: memory should follow the
# work in flight, not the panel's size. Uses only the CLI and its output
# files, so any build can be measured on the same cached data.
#
#   benches/wide.sh                        # 1/5/20 Mb at ~30x molecules (see docs/benchmarks.md)
#   WIDE_SCALE=quick benches/wide.sh       # 0.25/1/4 Mb, a few minutes
#   BENCH_CTDNA=/path/to/other/ctdna benches/wide.sh   # another build, same data
#
# Data sets are generated once with `ctdna simulate` into bench-cache/
# (git-ignored) and reused (benches/cache.sh). Each command runs WIDE_REPS
# times (default 1: the runs are long; each column is its own median).
# Every run is limited to WIDE_MEM_GB of address space (ulimit -v; default
# 16) and BENCH_TIMEOUT seconds (default 1800): a run past either prints
# `>` the limit (or `failed`) instead of figures.
set -euo pipefail
cd "$(dirname "$0")/.."
START=$SECONDS

SCALE=${WIDE_SCALE:-full}
THREADS=${BENCH_THREADS:-2}
REPS=${WIDE_REPS:-1}
FLOOR_REPS=$((REPS > 3 ? REPS : 3))  # the floor is cheap: always a median of >= 3
CACHE=${BENCH_CACHE:-bench-cache}
LIMIT=${BENCH_TIMEOUT:-1800}
MEM_GB=${WIDE_MEM_GB:-16}
mkdir -p "$CACHE"

# Targets are 2 kb BED lines placed at random (sorted), each keeping 900 bp
# clear on both sides: contigs are sized so the targets fill under half of
# the genome. PANELS: the first N lines of the wide set's targets.bed.
case "$SCALE" in
  full)  WIDE_TARGETS=10000; WIDE_LEN=20000000; PANELS=(500 2500 10000)
         SET5_TARGETS=2500;  SET5_LEN=5000000 ;;
  quick) WIDE_TARGETS=2000;  WIDE_LEN=4000000;  PANELS=(125 500 2000)
         SET5_TARGETS=500;   SET5_LEN=1000000 ;;
  *) echo "WIDE_SCALE must be full or quick" >&2; exit 2 ;;
esac
TLEN=2000
DEPTH=30                      # fragments: unique molecules per position, one read pair each
UMI_DEPTH=75 UMI_FAMILY=4     # UMI set: 75 molecules x 4 copies = ~300x raw
NORMALS=10 NORMAL_DEPTH=10    # pon set: 10 normals (+ its sample.bam, unused)

for tool in samtools bcftools /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool (apt-get install samtools bcftools time)" >&2; exit 1; }
done

# shellcheck source=benches/cache.sh
. benches/cache.sh
pick_ctdna

GENOME=(--contigs 4 --target-min-len "$TLEN" --target-max-len "$TLEN" --snvs-per-vaf 50 --indels-per-vaf 2)
WIDE=$CACHE/wide-$SCALE
UMI=$CACHE/wide-$SCALE-umi
PON=$CACHE/wide-$SCALE-normals
simulate_cached "$WIDE" --seed 25 "${GENOME[@]}" --contig-len "$WIDE_LEN" --targets "$WIDE_TARGETS" \
  --depth "$DEPTH" --family-size 1 --umi-len 0
simulate_cached "$UMI" --seed 26 "${GENOME[@]}" --contig-len "$SET5_LEN" --targets "$SET5_TARGETS" \
  --depth "$UMI_DEPTH" --family-size "$UMI_FAMILY" --duplex
simulate_cached "$PON" --seed 27 "${GENOME[@]}" --contig-len "$SET5_LEN" --targets "$SET5_TARGETS" \
  --depth "$NORMAL_DEPTH" --family-size 1 --umi-len 0 --normals "$NORMALS"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# Median over REPS runs of wall, CPU (user+sys) and peak RSS (MB), as a
# tab-separated row "label wall cpu rss". A run past LIMIT seconds prints
# ">LIMIT"; one that fails (e.g. out of the WIDE_MEM_GB address space)
# prints "failed" and the end of its stderr on stderr.
measure() { # label command...
  local label=$1 rows=() tf ef rc
  shift
  tf=$(mktemp) ef=$(mktemp)
  for _ in $(seq "$REPS"); do
    rc=0
    (ulimit -v $((MEM_GB * 1024 * 1024)); exec timeout "$LIMIT" /usr/bin/time -o "$tf" -f "%e %U %S %M" "$@") \
      >/dev/null 2>"$ef" || rc=$?
    if [ "$rc" != 0 ]; then
      if [ "$rc" = 124 ]; then
        printf '%s\t>%s\t-\t-\n' "$label" "$LIMIT"
      else
        printf '%s\tfailed\t-\t-\n' "$label"
        { echo "$label: exit $rc (limit ${MEM_GB} GB address space)"; tail -n 3 "$ef"; } >&2
      fi
      rm -f "$tf" "$ef"
      return
    fi
    rows+=("$(tail -n 1 "$tf")")
  done
  rm -f "$tf" "$ef"
  med() { printf '%s\n' "${rows[@]}" | awk "{ print $1 }" | sort -g | awk -v n="$REPS" 'NR == int((n + 1) / 2)'; }
  printf '%s\t%s\t%.2f\t%.1f\n' "$label" "$(med '$1')" "$(med '$2 + $3')" "$(med '$4 / 1024')"
}

W=38
header() {
  printf '%-7s %-*s %9s %9s %9s %8s\n' panel "$W" run wall_s cpu_s rss_MB x_floor
}
row() { # panel floor_wall row  (prints it, and returns nothing)
  awk -F'\t' -v p="$1" -v f="$2" -v w="$W" '{
    if ($2 ~ /^>|failed/) printf "%-7s %-*s %9s %9s %9s %8s\n", p, w, $1, $2, "-", "-", "-";
    else if (f == "-") printf "%-7s %-*s %9.2f %9.2f %9.1f %8s\n", p, w, $1, $2, $3, $4, "-";
    else printf "%-7s %-*s %9.2f %9.2f %9.1f %8.2f\n", p, w, $1, $2, $3, $4, $2 / f }' <<<"$3"
}
mb() { awk '{ n += $3 - $2 } END { printf "%g Mb", n / 1e6 }' "$1"; }

# The tumour-informed loci for mrd: the simulated somatic SNVs inside a panel.
loci() { # truth.vcf.gz panel.bed out.vcf
  bcftools view -T "$2" -i 'INFO/ORIGIN="somatic" && INFO/TYPE="SNV"' "$1" -o "$3" 2>/dev/null
}

echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); $("$CTDNA" --version), threads=$THREADS, reps=$REPS (median), limits ${LIMIT} s / ${MEM_GB} GB"
echo "# scale=$SCALE: fragments set ${WIDE_TARGETS} x $TLEN bp targets over 4 x $WIDE_LEN bp, $DEPTH molecules x 1 read pair ($(du -h "$WIDE/sample.bam" | cut -f1) BAM);"
echo "#   UMI set $SET5_TARGETS targets, $UMI_DEPTH molecules x family $UMI_FAMILY duplex (~$((UMI_DEPTH * UMI_FAMILY))x raw, $(du -h "$UMI/sample.bam" | cut -f1) BAM);"
echo "#   pon set $SET5_TARGETS targets, $NORMALS normals at $NORMAL_DEPTH molecules ($(du -ch "$PON"/normal_*.bam | tail -n 1 | cut -f1) of BAM)"
echo "# columns: panel = Mb of targets; wall_s = elapsed s; cpu_s = user+sys s; rss_MB = peak RSS (MB);"
echo "#   x_floor = wall / wall of 'samtools view -c -@$THREADS -M -L panel.bed' on the same BAM and panel"
echo "#   (the floor: median of $FLOOR_REPS runs; -M reads the panel's reads through the index, not the whole BAM)"
header
declare -A CALL COUNT FLOOR METRICS
for n in "${PANELS[@]}"; do
  bed=$OUT/panel-$n.bed
  head -n "$n" "$WIDE/targets.bed" > "$bed"
  p=$(mb "$bed")
  p=${p% Mb}
  bam=$WIDE/sample.bam ref=$WIDE/ref.fa
  fl=$(REPS=$FLOOR_REPS measure "samtools view -c -M -L (decode floor)" samtools view -c -@ "$THREADS" -M -L "$bed" "$bam")
  f=$(cut -f2 <<<"$fl")
  row "$p" "$f" "$fl"
  c=$(measure "ctdna call --no-umi" "$CTDNA" call --no-umi --bam "$bam" -r "$ref" -t "$bed" -o "$OUT/c.vcf.gz" --threads "$THREADS" --quiet)
  row "$p" "$f" "$c"
  # As the workflows run it: with the metrics JSON (a LoD at every position).
  cm=$(measure "ctdna call --no-umi --metrics" "$CTDNA" call --no-umi --bam "$bam" -r "$ref" -t "$bed" -o "$OUT/c.vcf.gz" --metrics "$OUT/c.json" --threads "$THREADS" --quiet)
  row "$p" "$f" "$cm"
  k=$(measure "ctdna count --no-umi" "$CTDNA" count --no-umi --bam "$bam" -r "$ref" -t "$bed" -o "$OUT/c.tsv" --threads "$THREADS" --quiet)
  row "$p" "$f" "$k"
  loci "$WIDE/truth.vcf.gz" "$bed" "$OUT/loci.vcf"
  nl=$(grep -vc '^#' "$OUT/loci.vcf" || true)
  row "$p" "$f" "$(measure "ctdna mrd --no-umi ($nl SNV loci)" "$CTDNA" mrd --no-umi --bam "$bam" -r "$ref" --tumor-variants "$OUT/loci.vcf" -o "$OUT/m.json" --threads "$THREADS" --quiet)"
  rm -f "$OUT"/c.* "$OUT/m.json"
  CALL[$n]=$c COUNT[$n]=$k FLOOR[$n]=$fl METRICS[$n]=$cm
done

p=$(mb "$UMI/targets.bed")
p=${p% Mb}
ufl=$(REPS=$FLOOR_REPS measure "samtools view -c -M -L (decode floor)" samtools view -c -@ "$THREADS" -M -L "$UMI/targets.bed" "$UMI/sample.bam")
uf=$(cut -f2 <<<"$ufl")
row "$p" "$uf" "$ufl"
UCALL=$(measure "ctdna call (UMI, --min-tier single)" "$CTDNA" call --min-tier single --bam "$UMI/sample.bam" -r "$UMI/ref.fa" -t "$UMI/targets.bed" -o "$OUT/u.vcf.gz" --threads "$THREADS" --quiet)
row "$p" "$uf" "$UCALL"

p=$(mb "$PON/targets.bed")
p=${p% Mb}
NB=()
for i in $(seq "$NORMALS"); do NB+=(--bam "$PON/normal_$i.bam"); done
PONRUN=$(measure "ctdna pon --no-umi ($NORMALS normals)" "$CTDNA" pon --no-umi "${NB[@]}" -r "$PON/ref.fa" -t "$PON/targets.bed" -o "$OUT/pon.tsv.gz" --threads "$THREADS" --quiet)
row "$p" "-" "$PONRUN"

# The issue's figures, from the rows above (field 2 wall, 3 CPU, 4 RSS).
echo "## figures vs targets (issue 25)"
first=${PANELS[0]} last=${PANELS[-1]}
s1=$(mb "$OUT/panel-$first.bed") s2=$(mb "$OUT/panel-$last.bed")
num() { [[ $1 =~ ^[0-9.]+$ ]]; }
figure() { # text value limit
  if ! num "$2"; then printf '%-60s %8s  (<= %s)  NOT met (no figure)\n' "$1" "-" "$3"; return; fi
  awk -v t="$1" -v v="$2" -v l="$3" 'BEGIN { printf "%-60s %8.2f  (<= %s)  %s\n", t, v, l, (v <= l) ? "met" : "NOT met" }'
}
f() { cut -f"$2" <<<"$1"; }
div() { if num "$1" && num "$2"; then awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; else echo -; fi; }
fmt() { if num "$1"; then printf "%.${2}f" "$1"; else echo -; fi; } # value decimals
c1=${CALL[$first]} c2=${CALL[$last]} f1=${FLOOR[$first]} f2=${FLOOR[$last]}
figure "call peak RSS at $s2 (MB)" "$(f "$c2" 4)" 300
figure "call peak RSS $s2 / $s1" "$(div "$(f "$c2" 4)" "$(f "$c1" 4)")" 1.5
cg=$(div "$(f "$c2" 2)" "$(f "$c1" 2)") fg=$(div "$(f "$f2" 2)" "$(f "$f1" 2)")
printf '%-60s %8s\n' "call wall growth $s1 -> $s2 (floor's growth)" "$(num "$cg" && num "$fg" && awk -v a="$cg" -v b="$fg" 'BEGIN { printf "%.2f (%.2f)", a, b }' || echo -)"
figure "call wall growth / floor's growth" "$(div "$cg" "$fg")" 1.1
# Not targets, for reading the rows: the issue's 2.2x floor in fragment mode
# is bench.sh's (20,000x, cost per read); at 30x the cost per target base
# dominates. count's RSS growth; call's peak RSS per target base.
printf '%-60s %8s  (no target at 30x)\n' "call --no-umi at $s2: wall / floor" "$(fmt "$(div "$(f "$c2" 2)" "$(f "$f2" 2)")" 2)"
printf '%-60s %8s  (no target)\n' "call --metrics CPU / call's CPU at $s2" "$(fmt "$(div "$(f "${METRICS[$last]}" 3)" "$(f "$c2" 3)")" 2)"
printf '%-60s %8s  (no target)\n' "count peak RSS $s2 / $s1" "$(fmt "$(div "$(f "${COUNT[$last]}" 4)" "$(f "${COUNT[$first]}" 4)")" 2)"
printf '%-60s %8s  (no target)\n' "call peak RSS per target base at $s2 (bytes)" \
  "$(fmt "$(div "$(f "$c2" 4)" "$(awk '{ n += $3 - $2 } END { print n / 1048576 }' "$OUT/panel-$last.bed")")" 0)"
figure "call UMI mode at $(mb "$UMI/targets.bed"): wall / floor" "$(div "$(f "$UCALL" 2)" "$uf")" 4
figure "pon, $NORMALS normals at $(mb "$PON/targets.bed"): peak RSS (MB)" "$(f "$PONRUN" 4)" 500
echo "# whole script: $((SECONDS - START)) s wall"
