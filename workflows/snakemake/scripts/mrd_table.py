"""Per-sample `ctdna mrd` JSON verdicts -> one MultiQC custom-content table.

Run by Snakemake (rule mrd_table): `snakemake.input` holds one mrd JSON per
sample, in the order of `snakemake.params.samples`; `snakemake.output[0]` is
the table. The same columns as the Nextflow pipeline's ctdna_mrd_mqc.tsv
(checked by workflows/nextflow/check/helpers_test.groovy).
"""
import json
import sys


def _ci(m, i):
    ci = m.get("ci95") or [None, None]
    return ci[i]


COLUMNS = [
    ("call", lambda m: m.get("call")),
    ("tumor_fraction", lambda m: m.get("tumor_fraction")),
    ("ci95_low", lambda m: _ci(m, 0)),
    ("ci95_high", lambda m: _ci(m, 1)),
    ("p_value", lambda m: m.get("p_value")),
    ("limit_of_detection", lambda m: m.get("limit_of_detection")),
    ("loci_total", lambda m: (m.get("loci") or {}).get("total")),
    ("loci_used", lambda m: (m.get("loci") or {}).get("used")),
    ("molecules", lambda m: m.get("molecules")),
    ("alt_molecules", lambda m: m.get("alt_molecules")),
]

HEADER = """# id: 'ctdna_mrd'
# section_name: 'ctdna mrd'
# description: 'Tumor-informed MRD per sample (ctdna mrd JSON): verdict, tumor fraction with its 95% interval, limit of detection.'
# plot_type: 'table'"""


def write_table(names, paths, out):
    rows = []
    for name, path in zip(names, paths):
        with open(path) as handle:
            verdict = json.load(handle)
        values = [extract(verdict) for _, extract in COLUMNS]
        rows.append([name] + ["NA" if v is None else str(v) for v in values])
    lines = [HEADER, "\t".join(["Sample"] + [name for name, _ in COLUMNS])]
    lines += ["\t".join(row) for row in sorted(rows)]
    with open(out, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if "snakemake" in globals():
        smk = snakemake  # noqa: F821 (injected by Snakemake)
        write_table(list(smk.params.samples), list(smk.input), smk.output[0])
    else:  # mrd_table.py OUT.tsv NAME=mrd.json ...
        pairs = [arg.split("=", 1) for arg in sys.argv[2:]]
        write_table([n for n, _ in pairs], [p for _, p in pairs], sys.argv[1])
