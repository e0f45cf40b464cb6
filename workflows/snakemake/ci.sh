#!/usr/bin/env bash
# End-to-end check of workflows/snakemake on the repository's test-data/:
#   1. `snakemake --lint` (scattered and unscattered layouts, with a PoN,
#      with patients and a matched normal);
#   2. a scattered run (12 targets, 3 chunks) over a samplesheet with two
#      tumor rows and one normal row (the normal must be skipped);
#   3. the gathered VCF of each sample must have exactly the records
#      (body lines) of one unscattered `ctdna call` on the same inputs;
#   4. the same with scatter_count above the target count (no scatter);
#   5. with a panel of normals: a small panel simulated here (`ctdna simulate
#      --normals 3`, test-data's layout, ~2 s) gives a plasma sample and
#      three normal BAMs; the workflow runs with build_pon=true (rule pon
#      over the normal rows, then every call with --pon), scattered into 3
#      chunks; its PoN must equal one built by hand with `ctdna pon`, and the
#      gathered records must equal one unscattered `ctdna call --pon`. The
#      sample's row names the simulation's truth VCF as tumor_variants, so
#      rule mrd runs too; its verdict must equal a direct `ctdna mrd`, and
#      the MRD table must hold one DETECTED row.
#   6. a patient series: a 3-timepoint series simulated here (`ctdna
#      simulate --series-tf 0.05,0,0.05`, ~1 s) in a samplesheet with
#      patient and timepoint columns (rows out of time order), run with
#      molecules=fragments; rule mrd_series must equal a direct `ctdna mrd
#      --no-umi` over the timepoints in time order (a relapse at the third),
#      every MRD JSON must say fragments, the series table must hold one
#      row per timepoint, and rule call_series must write one column per
#      timepoint (no normal).
#   7. a patient with a matched normal: a 2-timepoint series with two CHIP
#      clones and a matched normal (`ctdna simulate --series-tf 0.1,0.04
#      --chip-per-vaf 2 --matched-normal-depth 400`, ~1 s) in a samplesheet
#      with normal/normal_bai columns, scattered into 3 chunks: every
#      gathered VCF names the normal (##normal_sample=), equals one
#      unscattered `ctdna call --normal`, and PASSes no CHIP truth record
#      (tumour-only calls PASS some); rule call_series writes one column per
#      timepoint plus the normal's, as `ctdna call --bam T1 --bam T2
#      --normal` by hand; rules mrd/mrd_series equal `ctdna mrd --normal` by
#      hand and leave the CHIP loci out. Sheets with a normal row naming a
#      normal, or one patient naming two normals, are refused.
#   8. in every run above, each sample's HTML report (`call --report`, or
#      `ctdna report` after the gather) is a page whose calls table holds
#      the sample's VCF records (contig and position, in VCF order), the
#      scattered report's calls table equals the unscattered one's, and its
#      MultiQC folder holds ctdna's general-statistics, read-fate and
#      error-spectrum files (plus the MRD one for a tumor_variants row) as
#      valid JSON whose one row is the samplesheet's sample; then, when
#      multiqc is installed (.ci/run's cached venv, or on PATH), `multiqc
#      --strict` over each run's results folder must finish with no warning
#      and list every sample in its general statistics.
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
# MultiQC: on PATH, else the venv .ci/run caches (multiqc 1.35); else skipped.
multiqc=$(command -v multiqc || true)
if [ -z "$multiqc" ] && [ -x "$ci_cache/multiqc-1.35/bin/multiqc" ]; then
  multiqc=$ci_cache/multiqc-1.35/bin/multiqc
fi

ctdna=$(ctdna_binary "$repo")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$repo/test-data
printf 'sample,bam,bai,type\n' > "$work/samples.csv"
printf 'patient1,%s,%s,tumor\n' "$data/sample.bam" "$data/sample.bam.bai" >> "$work/samples.csv"
printf 'patient2,%s,%s,\n' "$data/sample.bam" "$data/sample.bam.bai" >> "$work/samples.csv"
printf 'healthy1,%s,%s,normal\n' "$data/sample.bam" "$data/sample.bam.bai" >> "$work/samples.csv"

echo "== simulated panel with normals (ctdna simulate --normals 3)"
sim=$work/sim
"$ctdna" simulate --quiet --threads 2 --out-dir "$sim" --seed 42 \
  --contigs 2 --contig-len 30000 --dup-segments 1 \
  --targets 12 --target-min-len 150 --target-max-len 250 --paralog-targets 1 \
  --vaf 0.02,0.05,0.1 --snvs-per-vaf 4 --indels-per-vaf 1 \
  --germline-snvs 3 --germline-indels 1 \
  --depth 1000 --family-size 1 --mark-duplicates --bam-compression 1 --normals 3
printf 'sample,bam,bai,type,tumor_variants\n' > "$work/pon-samples.csv"
printf 'plasma1,%s,%s,tumor,%s\n' "$sim/sample.bam" "$sim/sample.bam.bai" "$sim/truth.vcf.gz" >> "$work/pon-samples.csv"
for i in 3 1 2; do  # out of order on purpose: the PoN takes normals sorted by name
  printf 'normal%s,%s,%s,normal,\n' "$i" "$sim/normal_$i.bam" "$sim/normal_$i.bam.bai" >> "$work/pon-samples.csv"
done

echo "== a simulated patient with a matched normal (ctdna simulate --series-tf --matched-normal-depth)"
mn=$work/matched
"$ctdna" simulate --quiet --threads 2 --out-dir "$mn" --seed 5 --series-tf 0.1,0.04 \
  --targets 8 --depth 400 --vaf 0.02,0.05 --snvs-per-vaf 3 --chip-per-vaf 2 --chip-vaf 0.02 \
  --matched-normal-depth 400 --bam-compression 1
# The tumour's variants as a tissue VCF would list them: the somatic ones
# and the CHIP clones (which the normal must take out of the MRD loci).
bcftools view -e 'INFO/ORIGIN="germline"' -Oz -o "$work/tissue.vcf.gz" "$mn/T1.truth.vcf.gz"
head='sample,bam,bai,type,tumor_variants,patient,timepoint,normal,normal_bai'
{
  echo "$head"
  for k in 2 1; do  # out of time order on purpose
    printf 'p2_t%s,%s,%s,tumor,%s,P2,%s,%s,%s\n' "$k" "$mn/T$k.bam" "$mn/T$k.bam.bai" "$work/tissue.vcf.gz" \
      "$k" "$mn/matched_normal.bam" "$mn/matched_normal.bam.bai"
  done
} > "$work/matched.csv"

echo "== snakemake --lint"
for n in 3 1000 pon matched; do  # the layouts define different rules
  if [ "$n" = matched ]; then
    set -- samplesheet="$work/matched.csv" fasta="$mn/ref.fa" targets="$mn/targets.bed" scatter_count=3
  elif [ "$n" = pon ]; then
    set -- samplesheet="$work/pon-samples.csv" fasta="$sim/ref.fa" targets="$sim/targets.bed" build_pon=true scatter_count=3
  else
    set -- samplesheet="$work/samples.csv" fasta="$data/ref.fa" targets="$data/targets.bed" scatter_count=$n
  fi
  if ! lint=$("$snakemake" --lint --snakefile "$here/Snakefile" --directory "$work/lint-$n" \
      --config "$@" 2>&1); then
    echo "$lint"; echo "snakemake --lint failed (scatter_count=$n)"; exit 1
  fi
  echo "   $n: $(echo "$lint" | tail -n 1)"
done

echo "== unscattered reference run"
"$ctdna" call --quiet --bam "$data/sample.bam" --reference "$data/ref.fa" \
  --targets "$data/targets.bed" --output "$work/whole.vcf.gz"
bcftools view -H "$work/whole.vcf.gz" > "$work/whole.records"
test -s "$work/whole.records"

fails=0 passes=0
# check_outputs RESULTS SAMPLE[:mrd][:normal]...: each sample's report and
# MultiQC files (":mrd": the sample also has the MRD file; ":normal": the
# call's files also hold its matched normal, as SAMPLE_normal), then
# multiqc --strict over RESULTS.
check_outputs() {
  local results=$1; shift
  if python3 - "$results" "$@" <<'PY'
import json, pathlib, re, subprocess, sys
results, bad = pathlib.Path(sys.argv[1]), []
for arg in sys.argv[2:]:
    sample, *flags = arg.split(":")
    mrd, normal = "mrd" in flags, "normal" in flags
    page = results / sample / f"{sample}.report.html"
    vcf = results / sample / f"{sample}.vcf.gz"
    want = [r.split("\t")[:2] for r in subprocess.run(["bcftools", "view", "-H", str(vcf)],
            capture_output=True, text=True, check=True).stdout.splitlines()]
    html = page.read_text() if page.is_file() else ""
    table = html.split('<table class="calls">', 1)[-1].split("</table>", 1)[0] if '<table class="calls">' in html else None
    # one <tr> a record after the header row: its contig and pos cells
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", r)[:2] for r in table.split("<tr")[2:]] if table else []
    if not html.startswith("<!DOCTYPE html>") or table is None:
        bad.append(f"{sample}: no HTML report with a calls table at {page}")
    elif rows != want:
        bad.append(f"{sample}: the report's calls table has {len(rows)} rows, the VCF {len(want)} records (or another order)")
    kinds = ["general", "read_fates", "error_spectrum"] + (["mrd"] if mrd else [])
    for kind in kinds:
        path = results / sample / "multiqc" / f"{sample}.ctdna_{kind}_mqc.json"
        try:
            rows_mqc = list(json.loads(path.read_text())["data"])
        except (OSError, ValueError, KeyError) as e:
            bad.append(f"{sample}: {path.name}: {e}")
            continue
        want_rows = [sample] + ([f"{sample}_normal"] if normal and kind != "mrd" else [])
        if sorted(rows_mqc) != want_rows:
            bad.append(f"{sample}: {path.name} has rows {rows_mqc}, want {want_rows}")
    print(f"   {sample}: report with {len(rows)} call rows (VCF {len(want)}), MultiQC files {', '.join(kinds)}")
for line in bad:
    print("FAIL " + line)
sys.exit(1 if bad else 0)
PY
  then passes=$((passes + 1)); else fails=$((fails + 1)); fi
  if [ -z "$multiqc" ]; then
    echo "   multiqc --strict skipped: multiqc is not installed (.ci/run installs it)"
    return
  fi
  local log samples
  samples=$(for s in "$@"; do echo "${s%%:*}"; done)
  if ! log=$("$multiqc" --strict --no-ansi -f -o "$results.multiqc" "$results" 2>&1) \
      || grep -qE "WARNING|ERROR" <<<"$log" || [ ! -s "$results.multiqc/multiqc_report.html" ]; then
    echo "$log"; echo "FAIL multiqc --strict complained about $results"; fails=$((fails + 1)); return
  fi
  local stats=$results.multiqc/multiqc_data/multiqc_general_stats.txt
  for s in $samples; do
    if ! grep -q "^$s[[:space:]]" "$stats" || ! head -n 1 "$stats" | grep -q ctdna_median_depth; then
      echo "FAIL multiqc: no ctdna general statistics for $s in $stats"; fails=$((fails + 1)); return
    fi
  done
  echo "   multiqc --strict: no warning; $(grep -c 'custom_content' <<<"$log") custom-content sections," \
    "general statistics for $(echo $samples | wc -w) samples"
  passes=$((passes + 1))
}
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
  check_outputs "$out/results" patient1 patient2
done
calls_table() { python3 -c 'import sys; print(open(sys.argv[1]).read().split("<table class=\"calls\">")[1].split("</table>")[0])' "$1"; }
if cmp -s <(calls_table "$work/run-3/results/patient1/patient1.report.html") \
    <(calls_table "$work/run-1000/results/patient1/patient1.report.html"); then
  echo "   the scattered run's report (ctdna report after the gather) has the unscattered one's calls table"
  passes=$((passes + 1))
else
  echo "FAIL the scattered and unscattered reports' calls tables differ"; fails=$((fails + 1))
fi
out=$work/run-pon
echo "== snakemake end to end with a panel of normals (build_pon=true, scatter_count=3)"
"$snakemake" --snakefile "$here/Snakefile" --directory "$out" --cores 2 --quiet all \
  --config samplesheet="$work/pon-samples.csv" fasta="$sim/ref.fa" targets="$sim/targets.bed" \
  ctdna="$ctdna" outdir="$out/results" scatter_count=3 build_pon=true > "$out.log" 2>&1 || {
    cat "$out.log"; echo "snakemake failed (build_pon=true)"; exit 1; }
"$ctdna" pon --quiet --bam "$sim/normal_1.bam" --bam "$sim/normal_2.bam" --bam "$sim/normal_3.bam" \
  --reference "$sim/ref.fa" --targets "$sim/targets.bed" --output "$work/by-hand.pon.tsv.gz"
if cmp -s <(zcat "$out/results/pon/normals.pon.tsv.gz") <(zcat "$work/by-hand.pon.tsv.gz"); then
  echo "   PoN identical to one built by hand over normal_1..3"; passes=$((passes + 1))
else
  echo "FAIL the workflow's PoN differs from \`ctdna pon\` run by hand"; fails=$((fails + 1))
fi
"$ctdna" call --quiet --bam "$sim/sample.bam" --reference "$sim/ref.fa" --targets "$sim/targets.bed" \
  --pon "$work/by-hand.pon.tsv.gz" --output "$work/whole-pon.vcf.gz"
"$ctdna" call --quiet --bam "$sim/sample.bam" --reference "$sim/ref.fa" --targets "$sim/targets.bed" \
  --output "$work/whole-nopon.vcf.gz"
bcftools view -H "$work/whole-pon.vcf.gz" > "$work/whole-pon.records"
test -s "$work/whole-pon.records"
chunks=$(find "$out/results" -name '*.chunk*.metrics.json' | wc -l)
echo "   $chunks chunk jobs"
vcf=$out/results/plasma1/plasma1.vcf.gz
if cmp -s <(bcftools view -H "$vcf") "$work/whole-pon.records"; then
  echo "   plasma1: $(wc -l < "$work/whole-pon.records") records, identical to one unscattered \`ctdna call --pon\`" \
    "($(bcftools view -H "$work/whole-nopon.vcf.gz" | wc -l) without the PoN)"
  passes=$((passes + 1))
else
  echo "FAIL plasma1: gathered records differ from the unscattered call --pon:"
  diff <(bcftools view -H "$vcf") "$work/whole-pon.records" | head -n 20
  fails=$((fails + 1))
fi
if ! bcftools view -h "$vcf" | grep '^##ctdna_options=' | grep -q '"pon":"[^"]*normals.pon.tsv.gz"'; then
  echo "FAIL plasma1: the gathered VCF's ##ctdna_options do not name the workflow's PoN"; fails=$((fails + 1))
fi
for normal in normal1 normal2 normal3; do
  if [ -e "$out/results/$normal" ]; then echo "FAIL $normal was called"; fails=$((fails + 1)); fi
done
"$ctdna" mrd --quiet --bam "$sim/sample.bam" --reference "$sim/ref.fa" \
  --tumor-variants "$sim/truth.vcf.gz" --output "$work/by-hand.mrd.json"
if python3 - "$out/results/plasma1/plasma1.mrd.json" "$work/by-hand.mrd.json" <<'PY'
import json, sys
keys = ("call", "tumor_fraction", "ci95", "p_value", "loci", "molecules", "alt_molecules")
a, b = (json.load(open(p)) for p in sys.argv[1:])
diff = [k for k in keys if a.get(k) != b.get(k)]
print(f"   plasma1 mrd: {a['call']}, tumor fraction {a['tumor_fraction']:.4f}"
      + (f"; differs from ctdna mrd by hand in {diff}" if diff else ", as ctdna mrd by hand"))
sys.exit(1 if diff or a["call"] != "DETECTED" else 0)
PY
then passes=$((passes + 1)); else echo "FAIL plasma1 mrd"; fails=$((fails + 1)); fi
mrd_rows=$(grep -v '^#' "$out/results/ctdna_mrd_mqc.tsv" | cut -f 1,2 | tr '\t\n' ': ')
if [ "$mrd_rows" != "Sample:call plasma1:DETECTED " ]; then
  echo "FAIL MRD table rows are '$mrd_rows', want 'Sample:call plasma1:DETECTED '"; fails=$((fails + 1))
else
  passes=$((passes + 1))
fi
check_outputs "$out/results" plasma1:mrd

echo "== a patient series (patient/timepoint columns, molecules=fragments)"
ser=$work/series
"$ctdna" simulate --quiet --threads 2 --out-dir "$ser" --seed 3 --series-tf 0.05,0,0.05 \
  --contigs 1 --contig-len 20000 --dup-segments 0 --paralog-targets 0 --targets 2 \
  --target-min-len 400 --target-max-len 500 --snvs-per-vaf 20 --indels-per-vaf 0 \
  --depth 400 --family-size 2 --mark-duplicates --bam-compression 1
printf 'sample,bam,bai,type,tumor_variants,patient,timepoint\n' > "$work/series.csv"
for k in 3 1 2; do  # out of time order on purpose; timepoints 0, 30, 180 days
  printf 'p1_t%s,%s,%s,tumor,%s,P1,%s\n' "$k" "$ser/T$k.bam" "$ser/T$k.bam.bai" "$ser/tumor.vcf.gz" \
    "$(echo "0 30 180" | cut -d' ' -f"$k")" >> "$work/series.csv"
done
out=$work/run-series
"$snakemake" --snakefile "$here/Snakefile" --directory "$out" --cores 2 --quiet all \
  --config samplesheet="$work/series.csv" fasta="$ser/ref.fa" targets="$ser/targets.bed" \
  ctdna="$ctdna" outdir="$out/results" scatter_count=1000 molecules=fragments > "$out.log" 2>&1 || {
    cat "$out.log"; echo "snakemake failed (series)"; exit 1; }
"$ctdna" mrd --quiet --no-umi --bam "$ser/T1.bam" --bam "$ser/T2.bam" --bam "$ser/T3.bam" \
  --timepoints p1_t1,p1_t2,p1_t3 --reference "$ser/ref.fa" --tumor-variants "$ser/tumor.vcf.gz" \
  --output "$work/by-hand.series.json"
if python3 - "$out/results/patients/P1/P1.series.mrd.json" "$work/by-hand.series.json" \
    "$out/results"/p1_t*/p1_t*.mrd.json <<'PY'
import json, sys
series, by_hand = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("timepoint", "call", "tumor_fraction", "ci95", "relapse")
got = [[t[k] for k in keys] for t in series["timepoints"]]
want = [[t[k] for k in keys] for t in by_hand["timepoints"]]
calls = [t["call"] for t in series["timepoints"]]
kinds = {json.load(open(p))["parameters"]["molecules"]["kind"] for p in sys.argv[1:2] + sys.argv[3:]}
relapse = (series["molecular_relapse"] or {}).get("timepoint")
print(f"   P1 series: {calls}, relapse at {relapse}, molecules {sorted(kinds)}"
      + ("" if got == want else f"; differs from ctdna mrd by hand: {got} vs {want}"))
ok = got == want and calls == ["DETECTED", "NOT_DETECTED", "DETECTED"] and relapse == "p1_t3"
sys.exit(0 if ok and kinds == {"fragments"} and len(sys.argv) == 6 else 1)
PY
then passes=$((passes + 1)); else echo "FAIL P1 series mrd"; fails=$((fails + 1)); fi
series_rows=$(grep -v '^#' "$out/results/ctdna_mrd_series_mqc.tsv" | cut -f 1,2,4,9 | tr '\t\n' ': ')
want_rows="Sample:patient:call:relapse p1_t1:P1:DETECTED:false p1_t2:P1:NOT_DETECTED:false p1_t3:P1:DETECTED:true "
if [ "$series_rows" != "$want_rows" ]; then
  echo "FAIL MRD series table rows are '$series_rows', want '$want_rows'"; fails=$((fails + 1))
else
  passes=$((passes + 1))
fi

# the series call without a normal: one column per timepoint, time order
columns=$(bcftools query -l "$out/results/patients/P1/P1.series.vcf.gz" | tr '\n' ' ')
if [ "$columns" != "T1 T2 T3 " ] \
    || bcftools view -h "$out/results/patients/P1/P1.series.vcf.gz" | grep -q '^##normal_sample='; then
  echo "FAIL P1 series call columns are '$columns', want 'T1 T2 T3 ' and no normal"; fails=$((fails + 1))
else
  echo "   P1 series call: columns $columns"; passes=$((passes + 1))
fi
check_outputs "$out/results" p1_t1:mrd p1_t2:mrd p1_t3:mrd

echo "== a patient with a matched normal (normal/normal_bai columns, series call)"
# Refused sheets: a normal row naming a normal; one patient, two normals
# (the second row's normal left out).
printf '%s\nwbc,%s,%s,normal,,,,%s,%s\n' "$head" "$mn/T1.bam" "$mn/T1.bam.bai" \
  "$mn/matched_normal.bam" "$mn/matched_normal.bam.bai" > "$work/bad-normal-row.csv"
{ head -n 2 "$work/matched.csv"; sed -n 3p "$work/matched.csv" | sed 's/,[^,]*,[^,]*$/,,/'; } > "$work/bad-two-normals.csv"
for bad in "bad-normal-row:row 2: a normal row has no matched normal" \
    "bad-two-normals:patient 'P2': rows name different matched normals (p2_t2 (row 2): $mn/matched_normal.bam; p2_t1 (row 3): none)"; do
  sheet=${bad%%:*} want=${bad#*:}
  if msg=$("$snakemake" --snakefile "$here/Snakefile" --directory "$work/$sheet" --dry-run --quiet \
      --config samplesheet="$work/$sheet.csv" fasta="$mn/ref.fa" targets="$mn/targets.bed" 2>&1); then
    echo "FAIL $sheet.csv was accepted"; fails=$((fails + 1))
  elif grep -qF "$want" <<< "$msg"; then
    echo "   $sheet.csv refused: ...$want..."
    passes=$((passes + 1))
  else
    echo "$msg" | tail -n 5; echo "FAIL $sheet.csv refused without '$want'"; fails=$((fails + 1))
  fi
done
out=$work/run-matched
"$snakemake" --snakefile "$here/Snakefile" --directory "$out" --cores 2 --quiet all \
  --config samplesheet="$work/matched.csv" fasta="$mn/ref.fa" targets="$mn/targets.bed" \
  ctdna="$ctdna" outdir="$out/results" scatter_count=3 > "$out.log" 2>&1 || {
    cat "$out.log"; echo "snakemake failed (matched normal)"; exit 1; }
# "chrom:pos:ref:alt<TAB>filter" per record
keyed() { bcftools view -H "$1" | awk -F'\t' '{print $1":"$2":"$4":"$5"\t"$7}' | sort; }
for k in 1 2; do
  vcf=$out/results/p2_t$k/p2_t$k.vcf.gz
  "$ctdna" call --quiet --bam "$mn/T$k.bam" --normal "$mn/matched_normal.bam" --reference "$mn/ref.fa" \
    --targets "$mn/targets.bed" --output "$work/t$k-normal.vcf.gz"
  "$ctdna" call --quiet --bam "$mn/T$k.bam" --reference "$mn/ref.fa" \
    --targets "$mn/targets.bed" --output "$work/t$k-alone.vcf.gz"
  # the CHIP truth records' FILTER with the normal (the workflow's) and without it
  bcftools view -H -i 'INFO/ORIGIN="chip"' "$mn/T$k.truth.vcf.gz" | awk -F'\t' '{print $1":"$2":"$4":"$5}' \
    | sort > "$work/t$k.chip"
  with=$(join -t $'\t' "$work/t$k.chip" <(keyed "$vcf") | cut -f 2 | tr '\n' ' ')
  alone=$(join -t $'\t' "$work/t$k.chip" <(keyed "$work/t$k-alone.vcf.gz") | cut -f 2 | tr '\n' ' ')
  echo "   p2_t$k: $(wc -l < "$work/t$k.chip") CHIP variants; FILTER with the normal: ${with:-none written};" \
    "tumour-only: ${alone:-none written}"
  if [ ! -s "$work/t$k.chip" ] || grep -qw PASS <<< "$with"; then
    echo "FAIL p2_t$k: a CHIP variant PASSes with the matched normal"; fails=$((fails + 1))
  elif ! grep -qw PASS <<< "$alone"; then
    echo "FAIL p2_t$k: no CHIP variant PASSes tumour-only (the check would have no teeth)"; fails=$((fails + 1))
  elif ! bcftools view -h "$vcf" | grep -q '^##normal_sample='; then
    echo "FAIL p2_t$k: the gathered VCF has no ##normal_sample header"; fails=$((fails + 1))
  elif ! cmp -s <(bcftools view -H "$vcf") <(bcftools view -H "$work/t$k-normal.vcf.gz"); then
    echo "FAIL p2_t$k: gathered records differ from one unscattered ctdna call --normal"; fails=$((fails + 1))
  else
    passes=$((passes + 1))
  fi
done
series_vcf=$out/results/patients/P2/P2.series.vcf.gz
"$ctdna" call --quiet --bam "$mn/T1.bam" --bam "$mn/T2.bam" --normal "$mn/matched_normal.bam" \
  --reference "$mn/ref.fa" --targets "$mn/targets.bed" --output "$work/series-by-hand.vcf.gz"
columns=$(bcftools query -l "$series_vcf" | tr '\n' ' ')
if [ "$columns" != "T1 T2 sample_normal " ]; then
  echo "FAIL P2 series call columns are '$columns', want 'T1 T2 sample_normal '"; fails=$((fails + 1))
elif ! bcftools view -h "$series_vcf" | grep -q '^##normal_sample=sample_normal$'; then
  echo "FAIL P2 series call: no ##normal_sample=sample_normal header"; fails=$((fails + 1))
elif ! cmp -s <(bcftools view -H "$series_vcf") <(bcftools view -H "$work/series-by-hand.vcf.gz"); then
  echo "FAIL P2 series call differs from ctdna call --bam T1 --bam T2 --normal by hand"; fails=$((fails + 1))
else
  echo "   P2 series call: columns ${columns}($(bcftools view -H "$series_vcf" | wc -l) records, as by hand)"
  passes=$((passes + 1))
fi
"$ctdna" mrd --quiet --bam "$mn/T1.bam" --bam "$mn/T2.bam" --normal "$mn/matched_normal.bam" \
  --timepoints p2_t1,p2_t2 --reference "$mn/ref.fa" --tumor-variants "$work/tissue.vcf.gz" \
  --output "$work/matched-by-hand.series.json"
"$ctdna" mrd --quiet --bam "$mn/T1.bam" --normal "$mn/matched_normal.bam" --reference "$mn/ref.fa" \
  --tumor-variants "$work/tissue.vcf.gz" --output "$work/matched-by-hand.t1.json"
if python3 - "$out/results/patients/P2/P2.series.mrd.json" "$work/matched-by-hand.series.json" \
    "$out/results/p2_t1/p2_t1.mrd.json" "$work/matched-by-hand.t1.json" <<'PY'
import json, sys
series, by_hand, t1, t1_by_hand = (json.load(open(p)) for p in sys.argv[1:])
keys = ("timepoint", "call", "tumor_fraction", "ci95")
same = [[t[k] for k in keys] for t in series["timepoints"]] == [[t[k] for k in keys] for t in by_hand["timepoints"]]
same_t1 = all(t1.get(k) == t1_by_hand.get(k) for k in ("call", "tumor_fraction", "ci95", "loci"))
# the CHIP loci of the tissue VCF are left out only with the normal
left_out = [d["loci"].get("normal_evidence", 0) for d in (series, t1)]
print(f"   P2 mrd with the normal: series {[t['call'] for t in series['timepoints']]}, "
      f"p2_t1 {t1['call']}, loci left out as NormalEvidence {left_out}; "
      f"{'as' if same and same_t1 else 'DIFFERENT from'} ctdna mrd --normal by hand")
sys.exit(0 if same and same_t1 and min(left_out) > 0 else 1)
PY
then passes=$((passes + 1)); else echo "FAIL P2 mrd with the normal"; fails=$((fails + 1)); fi
check_outputs "$out/results" p2_t1:mrd:normal p2_t2:mrd:normal

echo "snakemake: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
