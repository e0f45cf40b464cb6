#!/usr/bin/env bash
# Do two versions of ctdna write the same bytes? For refactors that must not
# change behaviour: builds BASE (a git revision, default HEAD) in a worktree
# beside this checkout, builds the working tree, runs both on test-data/ and
# on small simulated panels (fragments, duplex UMIs with normals, a tumour
# series for mrd), and compares every output file byte for byte: VCF + .tbi,
# count TSV, bedGraph, PoN, background JSON, MRD JSON/TSV/VCF, and the
# simulator's own files (and, when benches/bench.sh has made it, its quick
# panel). Metrics JSON is compared without its runtime fields
# (runtime_seconds, peak_rss_bytes, parameters.threads).
#
#   scripts/same-outputs.sh            # working tree vs HEAD
#   scripts/same-outputs.sh 8e87a41    # working tree vs that commit
#
# Prints one line per compared file and exits 1 on any difference.
# Needs git, python3 and the Rust toolchain; about 5 minutes on 2 cores the
# first time (the base build and the simulations are cached under
# target/same-outputs/, or $SAME_OUTPUTS_CACHE to share them between
# checkouts).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BASE=${1:-HEAD}
BASE_SHA=$(git rev-parse --short "$BASE")
WORK=${SAME_OUTPUTS_CACHE:-$ROOT/target/same-outputs}
OUT=$ROOT/target/same-outputs
mkdir -p "$WORK" "$OUT"

# --- the two binaries -------------------------------------------------------
BASE_TREE=$WORK/base-$BASE_SHA
if [ ! -x "$WORK/bin-$BASE_SHA/ctdna" ]; then
  echo "building $BASE_SHA (once; cached)" >&2
  rm -rf "$BASE_TREE"
  git worktree prune
  git worktree add --detach "$BASE_TREE" "$BASE_SHA" >/dev/null
  # Reuse this checkout's compiled dependencies (htslib takes minutes).
  if [ -d "$ROOT/target/release/deps" ] && [ ! -d "$WORK/base-target" ]; then
    mkdir -p "$WORK/base-target"
    cp -r "$ROOT/target/release" "$WORK/base-target/release"
  fi
  (cd "$BASE_TREE" && CARGO_TARGET_DIR=$WORK/base-target cargo build --release --quiet)
  mkdir -p "$WORK/bin-$BASE_SHA"
  cp "$WORK/base-target/release/ctdna" "$WORK/bin-$BASE_SHA/ctdna"
  git worktree remove --force "$BASE_TREE"
fi
cargo build --release --quiet
OLD=$WORK/bin-$BASE_SHA/ctdna
NEW=$ROOT/target/release/ctdna

# --- inputs, simulated once with the base binary ----------------------------
SIM=$WORK/sim-$BASE_SHA
if [ ! -e "$SIM/done" ]; then
  echo "simulating inputs (once; cached)" >&2
  rm -rf "$SIM"
  mkdir -p "$SIM"
  "$OLD" simulate --quiet --out-dir "$SIM/umi" --seed 5 --contigs 2 --contig-len 60000 --dup-segments 1 \
    --targets 10 --depth 400 --family-size 3 --duplex --normals 3 --artifact-sites 2
  "$OLD" simulate --quiet --out-dir "$SIM/frag" --seed 6 --contigs 2 --contig-len 60000 --dup-segments 1 \
    --targets 10 --depth 800 --family-size 1 --umi-len 0
  for tf in 0.02 0; do
    "$OLD" simulate --quiet --out-dir "$SIM/mrd-$tf" --seed 7 --contigs 2 --contig-len 60000 --dup-segments 1 \
      --targets 12 --depth 500 --family-size 2 --tumor-fraction "$tf" --snvs-per-vaf 40 \
      --indels-per-vaf 4 --normals 2
  done
  touch "$SIM/done"
fi

# --- the runs -----------------------------------------------------------------
# Each binary runs in its own folder with the same relative output names and
# the same argv[0], so command lines written into headers are equal.
run_all() { # binary outdir
  local bin=$1 out=$2
  rm -rf "$out"
  mkdir -p "$out"
  cd "$out"
  c() { (exec -a ctdna "$bin" "$@" --quiet); }
  local T=$ROOT/test-data U=$SIM/umi F=$SIM/frag M=$SIM/mrd-0.02 B=$SIM/mrd-0
  # test-data: the README command, known loci, count.
  c call --bam "$T/sample.bam" -r "$T/ref.fa" -t "$T/targets.bed" -o td.vcf.gz \
    --metrics td.json --lod-bedgraph td.bedgraph
  c call --bam "$T/sample.bam" -r "$T/ref.fa" -t "$T/targets.bed" --known "$T/truth.vcf.gz" \
    -o td-known.vcf --overlap independent --min-bq 25
  c count --bam "$T/sample.bam" -r "$T/ref.fa" -t "$T/targets.bed" -o td.tsv --metrics td-count.json
  # Duplex UMI panel: each tier, fragments, two samples, PoN, scatter.
  c call --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" -o u.vcf.gz --metrics u.json \
    --lod-bedgraph u.bedgraph --write-background u-bg.json
  c call --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" -o u-duplex.vcf.gz --min-tier duplex --metrics u-duplex.json
  c call --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" -o u-raw.vcf --min-tier raw
  c call --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" -o u-frag.vcf.gz --no-umi --metrics u-frag.json
  c call --bam "$U/sample.bam" --bam "$U/normal_1.bam" -r "$U/ref.fa" -t "$U/targets.bed" \
    --known "$U/truth.vcf.gz" -o u-two.vcf.gz --metrics u-two.json
  c count --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" -o u.tsv --metrics u-count.json
  c count --bam "$U/sample.bam" -r "$U/ref.fa" --known "$U/truth.vcf.gz" -o u-known.tsv --no-umi
  c pon --bam "$U/normal_1.bam" --bam "$U/normal_2.bam" --bam "$U/normal_3.bam" -r "$U/ref.fa" \
    -t "$U/targets.bed" -o u.pon
  c call --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" --pon u.pon -o u-pon.vcf.gz \
    --metrics u-pon.json --lod-bedgraph u-pon.bedgraph
  c pon --bam "$U/normal_1.bam" --bam "$U/normal_2.bam" -r "$U/ref.fa" -t "$U/targets.bed" \
    -o u-frag.pon --no-umi
  c call --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" -o u-frag-bg.vcf.gz --no-umi \
    --write-background u-frag-bg.json
  for i in 1 2 3; do
    c call --bam "$U/sample.bam" -r "$U/ref.fa" -t "$U/targets.bed" --no-umi --shard "$i/3" \
      --background u-frag-bg.json -o "u-chunk$i.vcf.gz" --metrics "u-chunk$i.json"
  done
  # Fragments without UMIs.
  c call --bam "$F/sample.bam" -r "$F/ref.fa" -t "$F/targets.bed" -o f.vcf.gz --metrics f.json
  # MRD: plasma, baseline, PoN, UMI and fragments.
  c mrd --bam "$M/sample.bam" -r "$M/ref.fa" --tumor-variants "$M/tumor.vcf.gz" -o m.json \
    --tsv m.tsv --vcf m.vcf.gz --baseline "$B/sample.bam" --lod-replicates 50
  c mrd --bam "$M/sample.bam" -r "$M/ref.fa" --tumor-variants "$M/tumor.vcf.gz" -o m-frag.json \
    --tsv m-frag.tsv --vcf m-frag.vcf --no-umi --lod-replicates 50
  c pon --bam "$M/normal_1.bam" --bam "$M/normal_2.bam" -r "$M/ref.fa" -t "$M/targets.bed" -o m.pon
  c mrd --bam "$B/sample.bam" -r "$M/ref.fa" --tumor-variants "$M/tumor.vcf.gz" -o m-pon.json \
    --tsv m-pon.tsv --pon m.pon -t "$M/targets.bed" --lod-replicates 50
  # The simulator itself.
  c simulate --out-dir sim --seed 9 --contigs 1 --contig-len 30000 --dup-segments 1 --targets 4 --depth 60 \
    --duplex --normals 1 --tumor-fraction 0.05 --snvs-per-vaf 6
  # The benchmark's quick panel, when benches/bench.sh has simulated it.
  local Q=${SAME_OUTPUTS_BENCH_PANEL:-$ROOT/bench-cache/panel-quick-d2500}
  if [ -s "$Q/sample.bam.bai" ]; then
    c call --no-umi --bam "$Q/sample.bam" -r "$Q/ref.fa" -t "$Q/targets.bed" -o bench-f.vcf.gz \
      --metrics bench-f.json --lod-bedgraph bench-f.bedgraph
    c call --min-tier single --bam "$Q/sample.bam" -r "$Q/ref.fa" -t "$Q/targets.bed" \
      -o bench-u.vcf.gz --metrics bench-u.json
    c count --no-umi --bam "$Q/sample.bam" -r "$Q/ref.fa" -t "$Q/targets.bed" -o bench-f.tsv
  fi
  # Every command's --help (the face must not change either).
  for cmd in call count pon mrd simulate; do
    (exec -a ctdna "$bin" "$cmd" --help) > "help-$cmd.txt"
  done
  (exec -a ctdna "$bin" --help) > help.txt
  cd "$ROOT"
}
run_all "$OLD" "$OUT/out-base"
run_all "$NEW" "$OUT/out-new"

# --- compare ------------------------------------------------------------------
python3 - "$OUT/out-base" "$OUT/out-new" <<'EOF'
import json, os, sys
base, new = sys.argv[1], sys.argv[2]
RUNTIME = {"runtime_seconds", "peak_rss_bytes"}

def strip(v, top=True):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k in RUNTIME:
                continue
            if k == "parameters" and isinstance(x, dict):
                x = {a: b for a, b in x.items() if a != "threads"}
            out[k] = strip(x, False)
        return out
    if isinstance(v, list):
        return [strip(x, False) for x in v]
    return v

files = sorted({os.path.relpath(os.path.join(d, f), base)
                for d, _, fs in os.walk(base) for f in fs} |
               {os.path.relpath(os.path.join(d, f), new)
                for d, _, fs in os.walk(new) for f in fs})
bad = 0
for f in files:
    a, b = os.path.join(base, f), os.path.join(new, f)
    if not (os.path.exists(a) and os.path.exists(b)):
        print(f"MISSING  {f} ({'new' if os.path.exists(a) else 'base'} lacks it)")
        bad += 1
        continue
    x, y = open(a, "rb").read(), open(b, "rb").read()
    how = "bytes"
    if f.endswith(".json") and not f.startswith("sim/"):
        jx, jy = json.loads(x), json.loads(y)
        if "runtime_seconds" in json.dumps(jx) or "peak_rss_bytes" in json.dumps(jx):
            x = json.dumps(strip(jx)).encode()
            y = json.dumps(strip(jy)).encode()
            how = "json minus runtime"
    if x == y:
        print(f"same     {f} ({how})")
    else:
        print(f"DIFFERS  {f} ({how})")
        bad += 1
print(f"{len(files)} files, {bad} differ or are missing")
sys.exit(1 if bad else 0)
EOF
