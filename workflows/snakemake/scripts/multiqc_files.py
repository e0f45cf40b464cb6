"""ctdna's own MultiQC files (`--multiqc` of call/report and mrd) -> one
folder per sample, named after the samplesheet's sample.

Run by Snakemake (rule multiqc_files): `snakemake.input` holds the folders
ctdna wrote (the call's or report's, and the MRD's for a sample with tumor
variants); `snakemake.output[0]` is the folder to fill. ctdna names each
file after the run's first sample (the plasma BAM's read-group SM, made
file-safe) and its `data` rows after the SMs; two samplesheet rows may share
an SM and MultiQC merges equal names, so the plasma's row and the file take
the samplesheet's name (`<SM>.ctdna_general_mqc.json` ->
`<sample>.ctdna_general_mqc.json`), and a matched normal's row, the run's
other sample, becomes `<sample>_normal`. Everything else is kept as ctdna
wrote it.
"""
import json
import re
import sys
import traceback
from pathlib import Path


def file_stem(name):
    """ctdna's file-safe form of a sample name (src/output/report/multiqc.rs)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"sample{stem}" if not stem or stem.startswith(".") else stem


def renamed(path, sample):
    """The file's content with the plasma's row named `sample` and the
    matched normal's (if any) `<sample>_normal`."""
    with open(path) as handle:
        content = json.load(handle)
    data = content.get("data")
    stem = path.name[: path.name.rindex(".ctdna_")]
    plasma = [key for key in data if file_stem(key) == stem] if isinstance(data, dict) else []
    if len(plasma) != 1 or len(data) > 2:
        rows = sorted(data) if isinstance(data, dict) else data
        raise ValueError(f"{path}: want the plasma's row ({stem}) and at most a normal's, got {rows!r}")
    content["data"] = {
        (sample if key == plasma[0] else f"{sample}_normal"): row for key, row in data.items()
    }
    return content


def main(folders, out, sample, log):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for folder in folders:
        for path in sorted(Path(folder).glob("*_mqc.json")):
            kind = path.name[path.name.rindex(".ctdna_") + 1:]
            with open(out / f"{sample}.{kind}", "w") as handle:
                json.dump(renamed(path, sample), handle, indent=2, sort_keys=True)
                handle.write("\n")
            written += 1
    if not written:
        raise ValueError(f"no *_mqc.json in {', '.join(map(str, folders))}")
    print(f"{sample}: {written} MultiQC files", file=log)


if __name__ == "__main__":
    smk = snakemake  # noqa: F821 (injected by Snakemake)
    with open(smk.log[0], "w") as log:
        try:
            main(list(smk.input), smk.output[0], smk.wildcards.sample, log)
        except Exception:
            traceback.print_exc(file=log)
            sys.exit(1)
