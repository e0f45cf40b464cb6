#!/usr/bin/env bash
# End-to-end check of workflows/snakemake on the repository's test-data/:
#   1. `snakemake --lint` (scattered and unscattered layouts);
#   2. a scattered run (12 targets, 3 chunks) over a samplesheet with two
#      tumor rows and one normal row (the normal must be skipped);
#   3. the gathered VCF of each sample must have exactly the records
#      (body lines) of one unscattered `ctdna call` on the same inputs;
#   4. the same with scatter_count above the target count (no scatter).
#
# Snakemake comes from PyPI, pinned, in a cached venv; bcftools from Debian.
# Env: CTDNA_CI_CACHE (default ~/.cache/ctdna-ci), CTDNA_BIN (default:
# $CARGO_TARGET_DIR or target/ release build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
SNAKEMAKE=9.27.1
# shellcheck source=../ci-lib.sh
. "$here/../ci-lib.sh"
venv=$ci_cache/snakemake-$SNAKEMAKE

if ! command -v bcftools >/dev/null 2>&1; then
  echo "installing bcftools (Debian)"
  apt_install bcftools tabix
fi
if [ ! -f "$venv/.ready" ]; then
  echo "creating $venv (snakemake==$SNAKEMAKE)"
  make_venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "snakemake==$SNAKEMAKE"
  touch "$venv/.ready"
fi
snakemake=$venv/bin/snakemake

ctdna=$(ctdna_binary "$repo")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$repo/test-data
printf 'sample,bam,bai,type\n' > "$work/samples.csv"
printf 'patient1,%s,%s,tumor\n' "$data/sample.bam" "$data/sample.bam.bai" >> "$work/samples.csv"
printf 'patient2,%s,%s,\n' "$data/sample.bam" "$data/sample.bam.bai" >> "$work/samples.csv"
printf 'healthy1,%s,%s,normal\n' "$data/sample.bam" "$data/sample.bam.bai" >> "$work/samples.csv"

echo "== snakemake --lint"
for n in 3 1000; do  # the two layouts define different rules
  if ! lint=$("$snakemake" --lint --snakefile "$here/Snakefile" --directory "$work/lint-$n" \
      --config samplesheet="$work/samples.csv" fasta="$data/ref.fa" targets="$data/targets.bed" \
      scatter_count=$n 2>&1); then
    echo "$lint"; echo "snakemake --lint failed (scatter_count=$n)"; exit 1
  fi
  echo "   scatter_count=$n: $(echo "$lint" | tail -n 1)"
done

echo "== unscattered reference run"
"$ctdna" call --quiet --bam "$data/sample.bam" --reference "$data/ref.fa" \
  --targets "$data/targets.bed" --output "$work/whole.vcf.gz"
bcftools view -H "$work/whole.vcf.gz" > "$work/whole.records"
test -s "$work/whole.records"

fails=0 passes=0
for n in 3 1000; do
  out=$work/run-$n
  echo "== snakemake end to end, scatter_count=$n"
  "$snakemake" --snakefile "$here/Snakefile" --directory "$out" --cores 2 --quiet all \
    --config samplesheet="$work/samples.csv" fasta="$data/ref.fa" targets="$data/targets.bed" \
    ctdna="$ctdna" outdir="$out/results" scatter_count=$n > "$out.log" 2>&1 || {
      cat "$out.log"; echo "snakemake failed (scatter_count=$n)"; exit 1; }
  chunks=$(find "$out/results" -name '*.chunk*.metrics.json' | wc -l)
  echo "   $chunks chunk jobs"
  if [ -e "$out/results/healthy1" ]; then
    echo "FAIL the normal row was called"; fails=$((fails + 1))
  fi
  for sample in patient1 patient2; do
    vcf=$out/results/$sample/$sample.vcf.gz
    test -s "$vcf.tbi"
    if cmp -s <(bcftools view -H "$vcf") "$work/whole.records"; then
      echo "   $sample: $(wc -l < "$work/whole.records") records, identical to the unscattered run"
      passes=$((passes + 1))
    else
      echo "FAIL $sample: gathered records differ from the unscattered run:"
      diff <(bcftools view -H "$vcf") "$work/whole.records" | head -n 20
      fails=$((fails + 1))
    fi
  done
  names=$(grep -v '^#' "$out/results/ctdna_metrics_mqc.tsv" | cut -f 1 | tr '\n' ' ')
  if [ "$names" != "Sample patient1 patient2 " ]; then
    echo "FAIL metrics table rows are '$names', want 'Sample patient1 patient2 '"; fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
done
echo "snakemake: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
