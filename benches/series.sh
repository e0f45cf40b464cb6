#!/usr/bin/env bash
# A patient's MRD trajectory against simulated truth: per seed, one
# `ctdna simulate --series-tf` series of 5 plasmas (~2,000 molecules per
# position, 150 shared tumor SNV loci, TF 1e-2, 1e-3, 1e-4, 0, 3e-4; a
# 3-SNV subclone absent at T1-T4 and at 1% at T5, not in tumor.vcf.gz),
# then one `ctdna mrd` over the five BAMs. Prints, over the seeds:
#   - per timepoint: DETECTED rate and how often the 95% CI holds the true TF;
#   - the CI holding the truth at every timepoint with TF >= 1e-4 at once;
#   - T4 (TF = 0) NOT_DETECTED rate; molecular relapse reported at T5.
# Each seed's BAMs are deleted once counted (mrd.json and the TSV stay).
#
#   benches/series.sh                 # 20 seeds: ~10 min on 2 cores
#   SERIES_SEEDS=5 benches/series.sh  # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SERIES_SEEDS:-20}
THREADS=${BENCH_THREADS:-2}
OUT=${BENCH_CACHE:-bench-cache}/series
TFS=1e-2,1e-3,1e-4,0,3e-4

cargo build --release --quiet
CTDNA=${CARGO_TARGET_DIR:-$PWD/target}/release/ctdna
mkdir -p "$OUT"

for seed in $(seq 1 "$SEEDS"); do
  d=$OUT/seed$seed
  rm -rf "$d"
  "$CTDNA" simulate --out-dir "$d" --seed "$seed" --series-tf "$TFS" \
    --subclone-variants 3 --subclone-from 5 --subclone-vaf 0.01 \
    --snvs-per-vaf 150 --indels-per-vaf 0 --germline-snvs 2 --germline-indels 0 \
    --contigs 1 --contig-len 100000 --dup-segments 0 --paralog-targets 0 \
    --targets 8 --target-min-len 800 --target-max-len 1000 --depth 2000 \
    --family-size 1 --umi-len 0 --bam-compression 1 --threads "$THREADS" --quiet
  bams=()
  for t in 1 2 3 4 5; do bams+=(--bam "$d/T$t.bam"); done
  "$CTDNA" mrd "${bams[@]}" -r "$d/ref.fa" --tumor-variants "$d/tumor.vcf.gz" \
    -o "$d/mrd.json" --tsv "$d/series.tsv" --threads "$THREADS" --quiet
  rm -f "$d"/T*.bam "$d"/T*.bam.bai
  echo "seed $seed: $(jq -r '[.timepoints[].call] | join(" ")' "$d/mrd.json"), relapse $(jq -r '.molecular_relapse.timepoint // "none"' "$d/mrd.json")" >&2
done

python3 - "$OUT" "$SEEDS" "$TFS" <<'EOF'
import json, sys
out, seeds, tfs = sys.argv[1], int(sys.argv[2]), [float(x) for x in sys.argv[3].split(",")]
runs = [json.load(open(f"{out}/seed{s}/mrd.json")) for s in range(1, seeds + 1)]
print(f"{seeds} seeds; 150 loci, ~2,000 molecules per position")
print("timepoint\ttrue_TF\tdetected\tCI_holds_TF\tmedian_TF^\tmedian_LoD")
for i, tf in enumerate(tfs):
    pts = [r["timepoints"][i] for r in runs]
    det = sum(p["call"] == "DETECTED" for p in pts)
    cov = sum(p["ci95"][0] <= tf <= p["ci95"][1] for p in pts)
    med = lambda xs: sorted(xs)[len(xs) // 2]
    print(f"T{i+1}\t{tf:g}\t{det}/{seeds}\t{cov}/{seeds}\t"
          f"{med([p['tumor_fraction'] for p in pts]):.3g}\t{med([p['limit_of_detection'] for p in pts]):.3g}")
big = [i for i, tf in enumerate(tfs) if tf >= 1e-4]
all_cov = sum(all(r["timepoints"][i]["ci95"][0] <= tfs[i] <= r["timepoints"][i]["ci95"][1] for i in big) for r in runs)
t4 = sum(r["timepoints"][3]["call"] == "NOT_DETECTED" for r in runs)
rel = [(r["molecular_relapse"] or {}).get("timepoint", "none") for r in runs]
print(f"CI holds the TF at every timepoint with TF >= 1e-4: {all_cov}/{seeds} ({100*all_cov/seeds:.0f}%; target >= 90%)")
print(f"T4 NOT_DETECTED: {t4}/{seeds} ({100*t4/seeds:.0f}%; target >= 95%)")
print(f"relapse reported at T5: {rel.count('T5')}/{seeds} ({100*rel.count('T5')/seeds:.0f}%; target >= 90%); "
      f"elsewhere: {sorted(x for x in rel if x != 'T5')}")
EOF
