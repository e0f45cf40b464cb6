"""Per-patient `ctdna mrd` series JSONs -> one MultiQC custom-content table,
one row per timepoint (named by the samplesheet's sample).

Run by Snakemake (rule mrd_series_table): `snakemake.input` holds one series
JSON per patient, in the order of `snakemake.params.patients`;
`snakemake.output[0]` is the table. The same columns as the Nextflow
pipeline's ctdna_mrd_series_mqc.tsv (checked by
workflows/nextflow/check/helpers_test.groovy).
"""
import json
import sys


def _ci(t, i):
    ci = t.get("ci95") or [None, None]
    return ci[i]


def _flag(v):
    # JSON booleans written as Groovy does (true/false), like the Nextflow twin
    return str(v).lower() if isinstance(v, bool) else v


COLUMNS = [
    ("patient", lambda p, t: p),
    ("index", lambda p, t: t.get("index")),
    ("call", lambda p, t: t.get("call")),
    ("tumor_fraction", lambda p, t: t.get("tumor_fraction")),
    ("ci95_low", lambda p, t: _ci(t, 0)),
    ("ci95_high", lambda p, t: _ci(t, 1)),
    ("limit_of_detection", lambda p, t: t.get("limit_of_detection")),
    ("relapse", lambda p, t: _flag(t.get("relapse"))),
]

HEADER = """# id: 'ctdna_mrd_series'
# section_name: 'ctdna mrd series'
# description: 'MRD trajectory per patient (ctdna mrd over its timepoints): per timepoint the verdict, tumor fraction with its 95% interval and LoD; relapse marks the first DETECTED after a NOT_DETECTED.'
# plot_type: 'table'"""


def write_table(patients, paths, out):
    rows = []
    # patients sorted, each in time order (as the Nextflow twin)
    for patient, path in sorted(zip(patients, paths)):
        with open(path) as handle:
            series = json.load(handle)
        for t in series.get("timepoints") or [{"timepoint": patient}]:
            values = [extract(patient, t) for _, extract in COLUMNS]
            rows.append([t["timepoint"]] + ["NA" if v is None else str(v) for v in values])
    lines = [HEADER, "\t".join(["Sample"] + [name for name, _ in COLUMNS])]
    lines += ["\t".join(row) for row in rows]
    with open(out, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if "snakemake" in globals():
        smk = snakemake  # noqa: F821 (injected by Snakemake)
        write_table(list(smk.params.patients), list(smk.input), smk.output[0])
    else:  # mrd_series_table.py OUT.tsv PATIENT=series.mrd.json ...
        pairs = [arg.split("=", 1) for arg in sys.argv[2:]]
        write_table([n for n, _ in pairs], [p for _, p in pairs], sys.argv[1])
