"""Per-sample ctdna metrics JSON files -> one MultiQC custom-content table.

Run by Snakemake (rule metrics_table): `snakemake.input` holds one metrics
JSON per sample (whole panel), `snakemake.output[0]` is the table. The same
columns as the Nextflow pipeline's ctdna_metrics_mqc.tsv.
"""
import json
import sys

COLUMNS = [
    ("reads_seen", lambda s, c: s.get("reads", {}).get("seen")),
    ("reads_used", lambda s, c: s.get("reads", {}).get("used")),
    ("overlap_fraction", lambda s, c: s.get("overlap_fraction")),
    ("depth_mean", lambda s, c: s.get("depth", {}).get("mean")),
    ("depth_min", lambda s, c: s.get("depth", {}).get("min")),
    ("pct_depth_ge_500", lambda s, c: s.get("depth", {}).get("pct_ge_500")),
    ("pct_depth_ge_1000", lambda s, c: s.get("depth", {}).get("pct_ge_1000")),
    ("lod_median", lambda s, c: s.get("lod_median")),
    ("lod_p90", lambda s, c: s.get("lod_p90")),
    ("records", lambda s, c: c.get("records")),
    ("pass", lambda s, c: c.get("pass")),
    ("pass_snv", lambda s, c: c.get("pass_snv")),
    ("pass_indel", lambda s, c: c.get("pass_indel")),
]

HEADER = """# id: 'ctdna'
# section_name: 'ctdna call'
# description: 'Per-sample metrics of ctdna call over the whole panel (from --metrics JSON).'
# plot_type: 'table'"""


def rows(paths):
    for path in paths:
        with open(path) as handle:
            metrics = json.load(handle)
        calls = metrics.get("calls") or {}
        for sample in metrics.get("samples") or []:
            values = [extract(sample, calls) for _, extract in COLUMNS]
            yield [sample["name"]] + ["NA" if v is None else str(v) for v in values]


def write_table(paths, out):
    lines = [HEADER, "\t".join(["Sample"] + [name for name, _ in COLUMNS])]
    lines += ["\t".join(row) for row in sorted(rows(paths))]
    with open(out, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if "snakemake" in globals():
        write_table(list(snakemake.input), snakemake.output[0])  # noqa: F821
    else:
        write_table(sys.argv[2:], sys.argv[1])
