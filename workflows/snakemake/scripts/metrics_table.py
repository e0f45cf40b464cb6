"""Per-sample ctdna metrics JSON files -> one MultiQC custom-content table.

Run by Snakemake (rule metrics_table): `snakemake.input` holds one metrics
JSON per sample (whole panel), in the order of `snakemake.params.samples`;
`snakemake.output[0]` is the table. The same columns as the Nextflow
pipeline's ctdna_metrics_mqc.tsv (checked by
workflows/nextflow/check/helpers_test.groovy).
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


def rows(names, paths):
    """Rows are named by the samplesheet, not by the BAM's read-group SM that
    ctdna reports: two samplesheet rows may share an SM, and MultiQC merges
    equal names."""
    for name, path in zip(names, paths):
        with open(path) as handle:
            metrics = json.load(handle)
        calls = metrics.get("calls") or {}
        samples = metrics.get("samples") or [{"name": name}]
        for sample in samples:
            values = [extract(sample, calls) for _, extract in COLUMNS]
            label = name if len(samples) == 1 else f"{name}_{sample['name']}"
            yield [label] + ["NA" if v is None else str(v) for v in values]


def write_table(names, paths, out):
    lines = [HEADER, "\t".join(["Sample"] + [name for name, _ in COLUMNS])]
    lines += ["\t".join(row) for row in sorted(rows(names, paths))]
    with open(out, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if "snakemake" in globals():
        smk = snakemake  # noqa: F821 (injected by Snakemake)
        write_table(list(smk.params.samples), list(smk.input), smk.output[0])
    else:  # metrics_table.py OUT.tsv NAME=metrics.json ...
        pairs = [arg.split("=", 1) for arg in sys.argv[2:]]
        write_table([n for n, _ in pairs], [p for _, p in pairs], sys.argv[1])
