//! `ctdna report`: the HTML page (and MultiQC files) of a finished run,
//! from its metrics JSON and VCF, optionally an mrd result and the PoN.

use crate::atomic::Pending;
use crate::cli::ReportArgs;
use crate::output::report::{self, calls, multiqc, PonSummary, ReportInput};
use crate::{Error, Result};
use serde_json::Value;
use std::path::Path;

/// Run `ctdna report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let mut inputs = vec![("--metrics", args.metrics.as_path()), ("--vcf", &args.vcf)];
    inputs.extend(args.mrd.iter().map(|p| ("--mrd", p.as_path())));
    inputs.extend(args.pon.as_deref().map(|p| ("--pon", p)));
    crate::atomic::check_paths(&[("-o", &args.output)], &inputs)?;
    let metrics = read_json(
        &args.metrics,
        "--metrics",
        "the metrics `ctdna call --metrics` wrote",
    )?;
    if metrics.get("command").and_then(Value::as_str) != Some("call") {
        return Err(Error::bad_input(
            &args.metrics,
            "is not the metrics of a `ctdna call` run (no \"command\": \"call\")",
            "give the file `ctdna call --metrics` wrote",
        ));
    }
    let calls = calls::read_vcf(&args.vcf)?;
    let mut mrd: Vec<Value> = Vec::new();
    for p in &args.mrd {
        let doc = read_json(p, "--mrd", "the result `ctdna mrd -o` wrote")?;
        mrd.extend(mrd_results(doc));
    }
    let pon = args.pon.as_deref().map(pon_summary).transpose()?;
    let pending = Pending::new(&args.output)?;
    let mut sources = vec![
        ("metrics".to_string(), args.metrics.display().to_string()),
        ("VCF".to_string(), args.vcf.display().to_string()),
    ];
    sources.extend(
        args.mrd
            .iter()
            .map(|p| ("mrd".to_string(), p.display().to_string())),
    );
    let input = ReportInput {
        metrics: &metrics,
        calls: &calls,
        mrd: &mrd,
        sources: &sources,
        pon: pon.as_ref(),
    };
    let mut done = vec![report::write(pending, &input)?];
    if let Some(dir) = &args.multiqc {
        done.extend(write_multiqc(dir, &metrics, &calls, &mrd)?);
    }
    crate::atomic::commit_all(done)
}

/// An `mrd -o` document's results in time order: a series' `timepoints`
/// (each a whole result, labelled by its `sample`), else the one result.
fn mrd_results(doc: Value) -> Vec<Value> {
    match doc.get("timepoints").and_then(Value::as_array) {
        Some(points) if !points.is_empty() => points.clone(),
        _ => vec![doc],
    }
}

/// The MultiQC files of a run (and of its mrd result), written, not yet committed.
fn write_multiqc(
    dir: &Path,
    metrics: &Value,
    calls: &calls::Calls,
    mrd: &[Value],
) -> Result<Vec<Pending>> {
    multiqc::create_dir(dir)?;
    let samples = report::items(metrics, "samples");
    let first = samples
        .first()
        .map_or("sample", |s| report::text(s, "name"));
    let umi = samples.iter().any(|s| s.get("umi").is_some());
    let mut done = Vec::new();
    for (part, path) in multiqc::call_paths(dir, first, umi) {
        done.push(multiqc::write_call(
            Pending::new(&path)?,
            part,
            metrics,
            calls,
        )?);
    }
    for m in mrd.iter().rev() {
        let path = multiqc::mrd_path(dir, report::text(m, "sample"));
        if done.iter().any(|d: &Pending| d.path == path) {
            continue; // one sample's time points: its latest result stands
        }
        done.push(multiqc::write_mrd(Pending::new(&path)?, m)?);
    }
    Ok(done)
}

fn read_json(path: &Path, option: &str, what: &str) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::bad_input(path, format!("{option}: {e}"), format!("give {what}")))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::bad_input(
            path,
            format!("{option} is not JSON: {e}"),
            format!("give {what}"),
        )
    })
}

/// The normals' pooled alt / depth per allele kind (SNV, insertion, deletion)
/// of a PoN file (read again: `LoadedPon` keeps per-site rates only).
pub(crate) fn pon_summary(path: &Path) -> Result<PonSummary> {
    let (header, rows) = crate::model::pon_file::read(path)?;
    let mut sums = [[0u64; 2]; 3];
    for r in &rows {
        let k = match r.slot {
            crate::model::pon::INS => 1,
            crate::model::pon::DEL => 2,
            _ => 0,
        };
        sums[k][0] += r.summary.fit.alt;
        sums[k][1] += r.summary.fit.depth;
    }
    let rate = |[alt, depth]: [u64; 2]| {
        if depth == 0 {
            0.0
        } else {
            alt as f64 / depth as f64
        }
    };
    Ok(PonSummary {
        path: path.display().to_string(),
        normals: header.normals.len(),
        rows: rows.len(),
        snv_rate: rate(sums[0]),
        insertion_rate: rate(sums[1]),
        deletion_rate: rate(sums[2]),
    })
}
