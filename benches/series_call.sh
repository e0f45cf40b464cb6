#!/usr/bin/env bash
# A patient's series called together (issue 23, point 2): per seed, one
# `ctdna simulate --series-tf` series of 5 plasmas (~2,000 molecules per
# position, 150 shared tumor SNVs at TF 1e-2, 1e-3, 1e-4, 0, 3e-4, i.e.
# VAF TF/2) with a subclone of 10 SNVs absent at T1-T2, growing through
# 0.1% (T3) and 0.3% (T4) to 1% at T5; then `ctdna call` on the five BAMs
# together, without and with --joint. Prints, over the seeds:
#   - subclone SNVs: PASS (record) at all, FT at T1-T2 (must not be PASS,
#     with a LOD), the first timepoint whose FT is PASS, and how often
#     --joint makes it earlier;
#   - FP: PASS records matching no truth variant of any timepoint, per
#     100 kb of target, without and with --joint.
#
#   benches/series_call.sh                  # 6 seeds
#   SERIES_SEEDS=20 benches/series_call.sh
#   JOINT_ALPHA=0.001 benches/series_call.sh   # each sample's level with --joint
#   SERIES_PON=6 benches/series_call.sh        # with a panel of 6 simulated normals
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SERIES_SEEDS:-6}
THREADS=${BENCH_THREADS:-2}
JOINT_ALPHA=${JOINT_ALPHA:-0.01}
# SERIES_PON=N: also simulate N normals and call with their panel of normals.
PON=${SERIES_PON:-0}
OUT=${BENCH_CACHE:-bench-cache}/series-call-$JOINT_ALPHA-pon$PON
cargo build --release --quiet
CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna
mkdir -p "$OUT"
for seed in $(seq 1 "$SEEDS"); do
  d=$OUT/seed$seed
  if [ ! -s "$d/joint.vcf" ]; then
    rm -rf "$d"
    "$CTDNA" simulate --out-dir "$d" --seed "$seed" --series-tf 1e-2,1e-3,1e-4,0,3e-4 \
      --subclone-variants 10 --subclone-from 5 --subclone-vaf 0.01 --subclone-ramp 0.001,0.003 \
      --snvs-per-vaf 150 --indels-per-vaf 0 --germline-snvs 2 --germline-indels 0 \
      --contigs 1 --contig-len 100000 --dup-segments 0 --paralog-targets 0 \
      --targets 8 --target-min-len 800 --target-max-len 1000 --depth 2000 \
      --family-size 1 --umi-len 0 --bam-compression 1 --normals "$PON" --threads "$THREADS" --quiet
    pon=()
    if [ "$PON" -gt 0 ]; then
      normals=()
      for k in $(seq 1 "$PON"); do normals+=(--bam "$d/normal_$k.bam"); done
      "$CTDNA" pon "${normals[@]}" -r "$d/ref.fa" -t "$d/targets.bed" -o "$d/normals.pon" \
        --threads "$THREADS" --quiet
      pon=(--pon "$d/normals.pon")
    fi
    bams=()
    for t in 1 2 3 4 5; do bams+=(--bam "$d/T$t.bam"); done
    for mode in alone joint; do
      extra=()
      [ "$mode" = joint ] && extra=(--joint --joint-alpha "$JOINT_ALPHA")
      "$CTDNA" call "${bams[@]}" -r "$d/ref.fa" -t "$d/targets.bed" --threads "$THREADS" \
        --quiet "${pon[@]}" "${extra[@]}" -o "$d/$mode.vcf"
    done
    rm -f "$d"/T*.bam "$d"/T*.bam.bai "$d"/normal_*.bam "$d"/normal_*.bam.bai
  fi
  echo "seed $seed done" >&2
done

python3 - "$OUT" "$SEEDS" "$JOINT_ALPHA" "$PON" <<'PY'
import gzip, sys
out, seeds = sys.argv[1], int(sys.argv[2])

def records(path):
    for l in open(path):
        if not l.startswith("#"):
            yield l.rstrip("\n").split("\t")

def bed_bp(path):
    return sum(int(f[2]) - int(f[1]) for f in (l.split("\t") for l in open(path) if l.strip() and not l.startswith(("#", "track"))))

totals = {"alone": [0, 0], "joint": [0, 0]}
earlier = same = later = seeds_half = 0
first = {"alone": [], "joint": []}
early_pass = {"alone": 0, "joint": 0}
lod_reported = 0
n_sub = 0
bp = 0
for s in range(1, seeds + 1):
    d = f"{out}/seed{s}"
    bp += bed_bp(f"{d}/targets.bed")
    truth, sub = set(), set()
    for l in open(f"{d}/series_truth.tsv"):
        f = l.rstrip("\n").split("\t")
        if f[0] == "timepoint":
            continue
        key = (f[2], f[3], f[4], f[5])
        truth.add(key)
        if f[6] == "subclone":
            sub.add(key)
    for k in range(1, 6):
        with gzip.open(f"{d}/T{k}.truth.vcf.gz", "rt") as t:
            for l in t:
                if not l.startswith("#"):
                    f = l.split("\t")
                    truth.add((f[0], f[1], f[3], f[4]))
    firsts = {}
    for mode in ("alone", "joint"):
        got = {}
        for r in records(f"{d}/{mode}.vcf"):
            key = (r[0], r[1], r[3], r[4])
            keys = r[8].split(":")
            ft = [c.split(":")[keys.index("FT")] for c in r[9:14]]
            lod = [c.split(":")[keys.index("LOD")] for c in r[9:14]]
            if r[6] == "PASS" and key not in truth:
                totals[mode][0] += 1
            if key in sub:
                got[key] = (ft, lod)
        totals[mode][1] += 0
        fp = []
        for key in sub:
            ft, lod = got.get(key, (["absent"] * 5, ["."] * 5))
            passes = [i + 1 for i, x in enumerate(ft) if x == "PASS"]
            fp.append(passes[0] if passes else None)
            if any(x == "PASS" for x in ft[:2]):
                early_pass[mode] += 1
            if mode == "alone" and key in got and all(x not in (".", "") for x in lod[:2]):
                lod_reported += 1
        firsts[mode] = fp
        first[mode] += fp
    n_sub += len(sub)
    seed_earlier = 0
    for a, j in zip(firsts["alone"], firsts["joint"]):
        a = a or 6
        j = j or 6
        earlier += j < a
        seed_earlier += j < a
        same += j == a
        later += j > a
    seeds_half += 2 * seed_earlier >= len(sub)

def dist(v):
    return " ".join(f"T{k}:{sum(1 for x in v if x == k)}" for k in range(1, 6)) + f" never:{sum(1 for x in v if x is None)}"

print(f"--joint-alpha {sys.argv[3]}, {'a panel of ' + sys.argv[4] + ' normals' if sys.argv[4] != '0' else 'no panel of normals'}; {seeds} seeds, {n_sub} subclone SNVs (absent T1-T2, 0.1% T3, 0.3% T4, 1% T5), {bp} bp of target")
for mode in ("alone", "joint"):
    print(f"{mode:>5}: first PASS timepoint of subclone SNVs  {dist(first[mode])};  PASS at T1-T2: {early_pass[mode]};  FP {totals[mode][0]} ({totals[mode][0] * 1e5 / bp:.2f} per 100 kb)")
print(f"--joint earlier than alone: {earlier} of {n_sub} subclone SNVs ({100 * earlier / max(n_sub, 1):.0f}%); same {same}; later {later}; seeds where at least half the subclone passes earlier: {seeds_half} of {seeds}")
print(f"subclone records with a LOD in T1 and T2 (not PASS there), without --joint: {lod_reported} of {n_sub}")
PY
