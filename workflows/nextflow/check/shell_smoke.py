#!/usr/bin/env python3
"""Run the modules' shell scripts without Nextflow, on test-data/.

Nextflow is not available in CI, so this renders each module's `script:`
(and `stub:`) template the way Nextflow would for one task -- `${...}`
replaced by the task's values, `\\\\` and `\\$` unescaped -- and runs it with
bash in a fresh folder holding the staged inputs, as a task work dir would.
It then checks that every declared output glob of the module matches a file,
and that the scatter path (CTDNA_BACKGROUND -> 3 x CTDNA_CALL chunks ->
BCFTOOLS_CONCAT) gives exactly the records of one unscattered CTDNA_CALL:
once on test-data/ without a panel of normals, and once with one, on a
small panel simulated here (`ctdna simulate --normals 3`, ~2 s): CTDNA_PON
over the three normals (staged as normal1/, normal2/, ... as Nextflow's
stageAs 'normal?/*' does), then every call and background fit with --pon.
CTDNA_MRD runs on the simulated plasma with the simulation's truth VCF as
the tumor variants, and on a simulated 3-timepoint patient series (`ctdna
simulate --series-tf`, staged as bam1/, bam2/, ... as its stageAs 'bam?/*'
does) with --timepoints: one JSON entry and one TSV row per timepoint, the
molecular relapse at the third. Then a patient with a matched normal
(`ctdna simulate --series-tf 0.1,0.04 --chip-per-vaf 2
--matched-normal-depth 400`, ~1 s; the normal staged under normal/): the
scatter path with `--normal` equals the whole call, which names the normal
(##normal_sample=) and PASSes no CHIP truth variant; CTDNA_CALL run as
CTDNA_CALL_SERIES over two timepoints (bam1/, bam2/) writes one column per
timepoint plus the normal's; CTDNA_MRD over the series with `--normal`
leaves a tissue VCF's CHIP loci out as NormalEvidence.

Every whole-panel CTDNA_CALL also writes its HTML report and ctdna's
MultiQC files (a chunk must write neither); after each gather, CTDNA_REPORT
(`ctdna report` over the background fit's metrics and the gathered VCF) must
write a report whose calls table holds the VCF's records, as the unscattered
call's does, and the same MultiQC files.

The values of the scripts' Groovy `def`s (prefix, shard, model, args) are
written below by hand, mirroring the modules; the flags themselves are
checked by contract.py. What this cannot check: channel wiring, the
workflow's Groovy code, publishDir and config -- that needs a Nextflow run.

Usage: shell_smoke.py --ctdna PATH [--test-data DIR] [PIPELINE_DIR]
"""
import argparse
import glob
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from contract import declarations, sections


def template(module, section):
    lines = sections((module / "main.nf").read_text()).get(section, [])
    text = "\n".join(lines)
    start, end = text.index('"""'), text.rindex('"""')
    return text[start + 3:end]


def render(text, values):
    def value(m):
        key = m.group(1)
        if key not in values:
            raise KeyError(f"no value for ${{{key}}}")
        return str(values[key])
    text = re.sub(r"\$\{([^}]+)\}", value, text)
    return text.replace("\\\\", "\\").replace("\\$", "$")


class Runner:
    def __init__(self, pipeline, ctdna, root):
        self.pipeline = pipeline
        self.root = root
        self.env = dict(os.environ, PATH=f"{pathlib.Path(ctdna).parent}:{os.environ['PATH']}")
        self.failures = 0
        self.count = 0

    def task(self, name, module, section, staged, values, without=()):
        """Run one task; return its work dir. `without`: the emits of
        optional outputs this task must not write (e.g. a chunk's report)."""
        work = pathlib.Path(tempfile.mkdtemp(prefix=re.sub(r"\W+", "_", name) + ".", dir=self.root))
        for path in staged:
            # a (path, name-in-work-dir) pair stages under a subfolder
            path, dest = path if isinstance(path, tuple) else (path, pathlib.Path(path).name)
            (work / dest).parent.mkdir(parents=True, exist_ok=True)
            (work / dest).symlink_to(pathlib.Path(path).resolve())
        self.count += 1
        try:
            script = render(template(self.pipeline / module, section), values)
        except KeyError as e:
            self.fail(f"{name} ({section}): {e.args[0]} (add it to shell_smoke.py if the module needs it)")
            return work
        (work / ".command.sh").write_text(script)
        r = subprocess.run(["bash", "-euo", "pipefail", ".command.sh"], cwd=work, env=self.env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            self.fail(f"{name} ({section}) exited {r.returncode}:\n{script}\n{r.stderr}")
            return work
        for elements, options in declarations(sections((self.pipeline / module / "main.nf").read_text())["output"]):
            if "topic" in options:
                continue
            for pattern in elements[1:]:
                written = glob.glob(str(work / pattern))
                if options["emit"] in without and written:
                    self.fail(f"{name} ({section}): wrote {pattern!r} (emit {options['emit']}), which it must not")
                elif options["emit"] not in without and not written:
                    self.fail(f"{name} ({section}): declared output {pattern!r} (emit {options['emit']}) was not written")
        print(f"ok   {name} ({section})")
        return work

    def fail(self, message):
        print("FAIL " + message)
        self.failures += 1


def records(vcf):
    out = subprocess.run(["bcftools", "view", "-H", str(vcf)], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


CALL, BACKGROUND, CONCAT = "modules/local/ctdna/call", "modules/local/ctdna/background", "modules/local/bcftools/concat"
REPORT = "modules/local/ctdna/report"
WHOLE_REPORT = "--report sample.report.html --multiqc mqc"  # CTDNA_CALL's `report` def, whole panel


def calls_rows(page):
    """The report's calls table: (contig, pos) of each row after the header."""
    html = pathlib.Path(page).read_text()
    if not html.startswith("<!DOCTYPE html>") or '<table class="calls">' not in html:
        return None
    table = html.split('<table class="calls">', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td[^>]*>([^<]*)</td>", row)[:2] for row in table.split("<tr")[2:]]


def mqc_files(work):
    """name -> parsed JSON of a task's mqc/*_mqc.json."""
    return {p.name: json.loads(p.read_text()) for p in sorted((work / "mqc").glob("*_mqc.json"))}


def staged_plasma(bam):
    """A plasma BAM and its index as CTDNA_CALL stages them (bam1/, its
    stageAs 'bam?/*') and as CTDNA_BACKGROUND does (the work dir)."""
    bam = pathlib.Path(bam)
    bai = pathlib.Path(f"{bam}.bai")
    return [bam, bai, (bam, f"bam1/{bam.name}"), (bai, f"bam1/{bai.name}")]


def scatter_gather(run, label, inputs, common, normals, matched=""):
    """Whole-panel call vs background + 3 chunks + concat; records must match.
    `matched`: the `--normal` flag (the normal staged under normal/), or ""."""
    failures = run.failures
    call = dict(common, plasma=f"--bam bam1/{common['bam']}", matched=matched)
    whole = run.task(f"CTDNA_CALL whole{label}", CALL, "script", inputs,
                     dict(call, prefix="sample", shard="", model="", normals=normals, report=WHOLE_REPORT))
    bg = run.task(f"CTDNA_BACKGROUND{label}", BACKGROUND, "script", inputs,
                  dict(common, prefix="sample", normals=normals, matched=matched))
    chunks = []
    for i in (1, 2, 3):
        work = run.task(f"CTDNA_CALL chunk {i}/3{label}", CALL, "script", inputs + [bg / "sample.background.json"],
                        dict(call, prefix=f"sample.chunk{i}of3", shard=f"--shard {i}/3",
                             model="--background sample.background.json", normals=normals, report=""),
                        without=("report", "mqc"))
        chunks.append(work / f"sample.chunk{i}of3.vcf.gz")
    staged = chunks + [pathlib.Path(f"{c}.tbi") for c in chunks]
    gathered = run.task(f"BCFTOOLS_CONCAT{label}", CONCAT, "script", staged,
                        {"args": "", "task.cpus": 1, "prefix": "sample",
                         "vcfs": " ".join(c.name for c in chunks)})
    if run.failures == failures:
        run.count += 1
        a, b = records(gathered / "sample.vcf.gz"), records(whole / "sample.vcf.gz")
        if a == b and a:
            print(f"ok   gathered chunks = unscattered call{label} ({len(a)} records)")
        else:
            run.fail(f"gathered chunks{label} ({len(a)} records) differ from the unscattered call ({len(b)})")
    # The scattered sample's report: the background fit's whole-panel
    # metrics and the gathered VCF; its calls table and MultiQC files must
    # be the unscattered call's.
    pon = [p for p in inputs if str(p).endswith(".pon.tsv.gz")]
    failures = run.failures
    report = run.task(f"CTDNA_REPORT{label}", REPORT, "script",
                      [bg / "sample.metrics.json", gathered / "sample.vcf.gz"] + pon,
                      {"args": "", "prefix": "sample", "metrics": "sample.metrics.json",
                       "vcf": "sample.vcf.gz", "normals": normals})
    if run.failures == failures:
        run.count += 1
        want = [r.split("\t")[:2] for r in records(whole / "sample.vcf.gz")]
        rows, whole_rows = calls_rows(report / "sample.report.html"), calls_rows(whole / "sample.report.html")
        same_mqc = mqc_files(whole) and mqc_files(report) == mqc_files(whole)
        if rows == want and whole_rows == want and same_mqc:
            print(f"ok   report after the gather{label}: calls table = VCF ({len(rows)} rows) = the unscattered"
                  f" call's report; MultiQC files {sorted(mqc_files(report))} = the call's")
        else:
            run.fail(f"report after the gather{label}: calls table rows {None if rows is None else len(rows)}, "
                     f"unscattered report's {None if whole_rows is None else len(whole_rows)}, VCF {len(want)}; "
                     f"MultiQC files equal to the call's: {bool(same_mqc)}")
    return whole


def mrd_series(run, mrd, root, common):
    """CTDNA_MRD over a simulated patient series (TF 5%, 0, 5%): one entry
    and one TSV row per timepoint, the relapse at the third."""
    sim = pathlib.Path(root) / "series"
    subprocess.run([run.env_ctdna, "simulate", "--quiet", "--threads", "2", "--out-dir", str(sim),
                    "--seed", "3", "--series-tf", "0.05,0,0.05", "--contigs", "1", "--contig-len", "20000",
                    "--dup-segments", "0", "--paralog-targets", "0", "--targets", "2",
                    "--target-min-len", "400", "--target-max-len", "500", "--snvs-per-vaf", "20",
                    "--indels-per-vaf", "0", "--depth", "400", "--family-size", "1", "--umi-len", "0",
                    "--bam-compression", "1"], check=True, env=run.env)
    staged = [(sim / f"T{k}.bam{ext}", f"bam{k}/T{k}.bam{ext}") for k in (1, 2, 3) for ext in ("", ".bai")]
    staged += [sim / "ref.fa", sim / "ref.fa.fai", sim / "tumor.vcf.gz"]
    failures = run.failures
    work = run.task("CTDNA_MRD series", mrd, "script", staged,
                    dict(common, prefix="P1.series", tumor_variants="tumor.vcf.gz",
                         plasma=" ".join(f"--bam bam{k}/T{k}.bam" for k in (1, 2, 3)),
                         timepoints="--timepoints p1_d0,p1_d30,p1_d90", matched=""))
    if run.failures != failures:
        return
    run.count += 1
    verdict = json.loads((work / "P1.series.mrd.json").read_text())
    calls = [(t["timepoint"], t["call"]) for t in verdict.get("timepoints", [])]
    rows = (work / "P1.series.mrd.tsv").read_text().splitlines()
    want = [("p1_d0", "DETECTED"), ("p1_d30", "NOT_DETECTED"), ("p1_d90", "DETECTED")]
    relapse = (verdict.get("molecular_relapse") or {}).get("timepoint")
    if calls == want and len(rows) == 4 and relapse == "p1_d90":
        print(f"ok   series mrd: {calls}, relapse at {relapse}, {len(rows) - 1} TSV rows")
    else:
        run.fail(f"series mrd: timepoints {calls} (want {want}), relapse {relapse}, {len(rows)} TSV lines")


def matched_normal(run, root, common):
    """A patient with a matched normal (`ctdna simulate --series-tf 0.1,0.04
    --chip-per-vaf 2 --matched-normal-depth 400`): BACKGROUND + 3 chunks +
    CONCAT with `--normal` equal the whole CALL, which names the normal and
    PASSes no CHIP variant; CTDNA_CALL as CTDNA_CALL_SERIES over T1, T2 writes
    one column per timepoint plus the normal's; CTDNA_MRD over the series
    with `--normal` leaves the CHIP loci of a tissue VCF out."""
    sim = pathlib.Path(root) / "matched"
    subprocess.run([run.env_ctdna, "simulate", "--quiet", "--threads", "2", "--out-dir", str(sim),
                    "--seed", "5", "--series-tf", "0.1,0.04", "--targets", "8", "--depth", "400",
                    "--vaf", "0.02,0.05", "--snvs-per-vaf", "3", "--chip-per-vaf", "2", "--chip-vaf", "0.02",
                    "--matched-normal-depth", "400", "--bam-compression", "1"], check=True, env=run.env)
    normal = [(sim / f"matched_normal.bam{ext}", f"normal/matched_normal.bam{ext}") for ext in ("", ".bai")]
    reference = [sim / f for f in ("ref.fa", "ref.fa.fai", "targets.bed")]
    flag = "--normal normal/matched_normal.bam"
    t1 = dict(common, bam="T1.bam", bai="T1.bam.bai")
    failures = run.failures
    whole = scatter_gather(run, " with --normal", staged_plasma(sim / "T1.bam") + normal + reference, t1, "", flag)
    if run.failures == failures:
        run.count += 1
        header = subprocess.run(["bcftools", "view", "-h", str(whole / "sample.vcf.gz")],
                                capture_output=True, text=True, check=True).stdout
        chip = {tuple(r.split("\t")[:2]) for r in records(sim / "T1.truth.vcf.gz") if "ORIGIN=chip" in r}
        chip_filters = [r.split("\t")[6] for r in records(whole / "sample.vcf.gz") if tuple(r.split("\t")[:2]) in chip]
        if "##normal_sample=sample_normal" in header and chip and "PASS" not in chip_filters:
            print(f"ok   call --normal: ##normal_sample=sample_normal, {len(chip)} CHIP variants, FILTER {chip_filters}")
        else:
            run.fail(f"call --normal: normal header {'##normal_sample=' in header}, CHIP FILTER {chip_filters}")
    plasma = [(sim / f"T{k}.bam{ext}", f"bam{k}/T{k}.bam{ext}") for k in (1, 2) for ext in ("", ".bai")]
    failures = run.failures
    series = run.task("CTDNA_CALL_SERIES", CALL, "script", plasma + normal + reference,
                      dict(common, prefix="P2.series", plasma="--bam bam1/T1.bam --bam bam2/T2.bam",
                           matched=flag, shard="", model="", normals="",
                           report="--report P2.series.report.html --multiqc mqc"))
    if run.failures == failures:
        run.count += 1
        columns = subprocess.run(["bcftools", "query", "-l", str(series / "P2.series.vcf.gz")],
                                 capture_output=True, text=True, check=True).stdout.split()
        if columns == ["T1", "T2", "sample_normal"]:
            print(f"ok   series call: columns {columns}, {len(records(series / 'P2.series.vcf.gz'))} records")
        else:
            run.fail(f"series call: columns {columns}, want ['T1', 'T2', 'sample_normal']")
    tissue = pathlib.Path(root) / "tissue.vcf.gz"
    subprocess.run(["bcftools", "view", "-e", 'INFO/ORIGIN="germline"', "-Oz", "-o", str(tissue),
                    str(sim / "T1.truth.vcf.gz")], check=True)
    failures = run.failures
    work = run.task("CTDNA_MRD_SERIES with --normal", "modules/local/ctdna/mrd", "script",
                    plasma + normal + reference[:2] + [tissue],
                    dict(common, prefix="P2.series", tumor_variants=tissue.name,
                         plasma="--bam bam1/T1.bam --bam bam2/T2.bam",
                         timepoints="--timepoints p2_t1,p2_t2", matched=flag))
    if run.failures == failures:
        run.count += 1
        loci = json.loads((work / "P2.series.mrd.json").read_text())["loci"]
        if loci.get("normal_evidence", 0) > 0:
            print(f"ok   series mrd --normal: {loci['normal_evidence']} CHIP loci left out as NormalEvidence")
        else:
            run.fail(f"series mrd --normal: no locus left out as NormalEvidence ({loci})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ctdna", required=True)
    parser.add_argument("--test-data")
    parser.add_argument("pipeline", nargs="?", default=pathlib.Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    pipeline = pathlib.Path(args.pipeline).resolve()
    data = pathlib.Path(args.test_data or pipeline.parent.parent / "test-data").resolve()
    bam, bai = data / "sample.bam", data / "sample.bam.bai"
    fasta, fai, bed = data / "ref.fa", data / "ref.fa.fai", data / "targets.bed"
    root = tempfile.mkdtemp(prefix="nf-shell-smoke.")
    run = Runner(pipeline, args.ctdna, root)
    run.env_ctdna = args.ctdna
    call, background, concat = CALL, BACKGROUND, CONCAT
    pon_module, mrd = "modules/local/ctdna/pon", "modules/local/ctdna/mrd"
    common = {"bam": bam.name, "bai": bai.name, "fasta": fasta.name, "targets": bed.name,
              "task.cpus": 2, "args": ""}
    inputs = staged_plasma(bam) + [fasta, fai, bed]
    try:
        scatter_gather(run, "", inputs, common, "")
        # The same with a panel of normals, on a simulated panel with normals.
        sim = pathlib.Path(root) / "sim"
        subprocess.run([args.ctdna, "simulate", "--quiet", "--threads", "2", "--out-dir", str(sim),
                        "--seed", "7", "--contigs", "1", "--contig-len", "30000", "--dup-segments", "1", "--targets", "8",
                        "--target-min-len", "150", "--target-max-len", "250", "--depth", "800",
                        "--family-size", "1", "--bam-compression", "1", "--normals", "3"],
                       check=True, env=run.env)
        sim_inputs = staged_plasma(sim / "sample.bam") + [sim / f for f in ("ref.fa", "ref.fa.fai", "targets.bed")]
        normals = [(sim / f"normal_{i}.bam{ext}", f"normal{i}/normal_{i}.bam{ext}")
                   for i in (1, 2, 3) for ext in ("", ".bai")]
        pon = run.task("CTDNA_PON", pon_module, "script", normals + sim_inputs[4:],
                       dict(common, prefix="normals",
                            normals=" ".join(f"--bam normal{i}/normal_{i}.bam" for i in (1, 2, 3))))
        pon_file = pon / "normals.pon.tsv.gz"
        scatter_gather(run, " with --pon", sim_inputs + [pon_file], common, f"--pon {pon_file.name}")
        run.task("CTDNA_MRD", mrd, "script",
                 [(sim / "sample.bam", "bam1/sample.bam"), (sim / "sample.bam.bai", "bam1/sample.bam.bai")]
                 + sim_inputs[4:6] + [sim / "truth.vcf.gz"],
                 dict(common, prefix="sample", tumor_variants="truth.vcf.gz",
                      plasma="--bam bam1/sample.bam", timepoints="", matched=""))
        mrd_series(run, mrd, root, common)
        matched_normal(run, root, common)
        stub_report = ("mkdir mqc && echo '{\"data\": {\"sample\": {}}}' > mqc/sample.ctdna_general_mqc.json"
                       " && touch sample.report.html")  # CTDNA_CALL's stub `report` def, whole panel
        for module in (call, background, concat, pon_module, mrd, REPORT):
            run.task("_".join(module.split("/")[-2:]).upper(), module, "stub", [],
                     {"prefix": "sample", "meta.id": "sample", "report": stub_report})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"module scripts: {run.count - run.failures} passed, {run.failures} failed")
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
