//! A fitted background model saved as JSON (`call --write-background`) and
//! loaded again (`call --background`), so that the chunks of a scattered run
//! all test against the model of the whole panel.
//!
//! The file records what it was fitted on — reference, read filters, panel
//! size, samples and the molecules counted (fragments, or a UMI tier and its
//! consensus settings: [`Molecules`]) — and `--background` refuses a file
//! that differs from the run in any of them.
//!
//! A file cut short is refused as truncated: the document is one JSON
//! object, so a cut anywhere (even at a line boundary) leaves it unclosed,
//! and no end marker is needed.

use super::context::{ContextRates, Kind, Tallies};
use crate::evidence::alleles::N_CLASSES;
use crate::evidence::umi::Molecules;
use crate::evidence::ReadFilter;
use crate::reference::{Contig, Reference};
use crate::{Error, Result};
use std::path::Path;

const FORMAT: &str = "ctdna-background";
/// 2: records `molecules` (version 1 did not say which UMI tier, if any,
/// it was fitted on, so it is refused).
const FORMAT_VERSION: u32 = 2;

/// One sample's fitted rates.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SampleBackground {
    pub sample: String,
    pub rates: ContextRates,
}

/// The file's content.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SavedBackground {
    pub format: String,
    pub format_version: u32,
    pub ctdna_version: String,
    /// The reference's contigs: a model from another build is refused.
    pub contigs: Vec<Contig>,
    /// Evidence settings the rates were fitted under; must match.
    pub filters: serde_json::Value,
    /// Bases of the whole panel the model was fitted on.
    pub panel_bases: u64,
    /// What a molecule was in the fit: fragments or a UMI tier (must match).
    pub molecules: Molecules,
    pub samples: Vec<SampleBackground>,
}

impl SavedBackground {
    pub fn new(
        reference: &Reference,
        filter: &ReadFilter,
        panel_bases: u64,
        molecules: Molecules,
        samples: Vec<SampleBackground>,
    ) -> Self {
        SavedBackground {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            ctdna_version: env!("CARGO_PKG_VERSION").into(),
            contigs: reference.contigs.clone(),
            filters: serde_json::to_value(filter).unwrap_or_default(),
            panel_bases,
            molecules,
            samples,
        }
    }

    /// Load and check against this run: same reference, same evidence
    /// settings and molecules, same panel, the same samples in the same order.
    pub fn load(
        path: &Path,
        reference: &Reference,
        filter: &ReadFilter,
        molecules: &Molecules,
        panel_bases: u64,
        samples: &[String],
    ) -> Result<Vec<ContextRates>> {
        let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let not_ours = |e: String| {
            Error::bad_input(
                path,
                format!("not a ctdna background model ({e})"),
                "write one with `ctdna call --write-background`",
            )
        };
        let refuse = |msg: String| {
            Error::bad_input(path, msg, "fit the model with the same reference, panel, filters and BAMs (`ctdna call --write-background`)")
        };
        // Format and version first: an older file lacks fields, and its
        // version says more than "missing field".
        let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            if e.is_eof() {
                Error::bad_input(
                    path,
                    format!("truncated background model: the JSON ends early ({e})"),
                    "write it again with `ctdna call --write-background`",
                )
            } else {
                not_ours(e.to_string())
            }
        })?;
        let format = value["format"].as_str().unwrap_or("?");
        let version = value["format_version"].as_u64().unwrap_or(0);
        if format != FORMAT || version != u64::from(FORMAT_VERSION) {
            return Err(refuse(format!(
                "format {format} v{version} is not {FORMAT} v{FORMAT_VERSION}{}",
                if format == FORMAT && version == 1 {
                    " (version 1 does not record whether it was fitted on fragments or on UMI consensus molecules)"
                } else {
                    ""
                }
            )));
        }
        let saved: SavedBackground =
            serde_json::from_value(value).map_err(|e| not_ours(e.to_string()))?;
        if saved.contigs != reference.contigs {
            return Err(refuse(format!(
                "it was fitted against another reference than {}",
                reference.path.display()
            )));
        }
        if saved.filters != serde_json::to_value(filter).unwrap_or_default() {
            return Err(refuse(format!(
                "it was fitted with other read filters ({})",
                saved.filters
            )));
        }
        molecules.check_file(
            &saved.molecules,
            path,
            "background model",
            "fit it again (`ctdna call --write-background`)",
        )?;
        if saved.panel_bases != panel_bases {
            return Err(refuse(format!(
                "it was fitted on a panel of {} bases, this one has {panel_bases}",
                saved.panel_bases
            )));
        }
        let names: Vec<&str> = saved.samples.iter().map(|s| s.sample.as_str()).collect();
        if names != samples.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(refuse(format!(
                "it holds samples {names:?}, this run has {samples:?}"
            )));
        }
        check_values(path, &saved.samples)?;
        Ok(saved.samples.into_iter().map(|s| s.rates).collect())
    }
}

/// Refuse a file whose rates hold values no fit writes ([`impossible`]).
fn check_values(path: &Path, samples: &[SampleBackground]) -> Result<()> {
    for s in samples {
        impossible(&s.rates).map_err(|why| {
            Error::bad_input(
                path,
                format!(
                    "sample {}: {why}, which no fit writes: the file was edited or damaged",
                    s.sample
                ),
                "write it again with `ctdna call --write-background`",
            )
        })?;
    }
    Ok(())
}

/// What a fit cannot have written: tallies of the wrong shape or with more
/// alt than molecules, a dispersion below 1 or not finite.
fn impossible(rates: &ContextRates) -> std::result::Result<(), String> {
    let shape = Tallies::default();
    let same_shape = |t: &Tallies| {
        Kind::ALL
            .iter()
            .all(|&k| t.kind(k).len() == shape.kind(k).len())
    };
    for (what, t) in std::iter::once(("pooled", &rates.pooled))
        .chain(rates.by_class.iter().map(|t| ("class", t)))
    {
        if !same_shape(t) {
            return Err(format!("{what} tallies of the wrong length"));
        }
        let mut all = Kind::ALL.iter().flat_map(|&k| t.kind(k));
        if let Some(x) = all.find(|x| x.alt > x.depth) {
            return Err(format!(
                "{what} tally with {} alt of {} molecules",
                x.alt, x.depth
            ));
        }
    }
    if !rates.by_class.is_empty() && rates.by_class.len() != N_CLASSES {
        return Err(format!(
            "{} molecule classes, not {N_CLASSES}",
            rates.by_class.len()
        ));
    }
    if let Some(d) = rates
        .dispersion
        .iter()
        .find(|d| !(d.is_finite() && **d >= 1.0))
    {
        return Err(format!(
            "dispersion {d} (a fit gives a finite value of at least 1)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_no_fit_writes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let fa = crate::testing::write_fasta(dir.path(), "r.fa", &[("chr1", "ACGTACGTAC")]);
        let reference = Reference::open(&fa).unwrap();
        let filter = crate::testing::read_filter(crate::evidence::OverlapPolicy::Merge);
        let path = dir.path().join("bg.json");
        let load = |rates: ContextRates| {
            let one = vec![SampleBackground {
                sample: "s1".into(),
                rates,
            }];
            let saved = SavedBackground::new(&reference, &filter, 10, Molecules::Fragments, one);
            std::fs::write(&path, serde_json::to_string(&saved).unwrap()).unwrap();
            let names = ["s1".to_string()];
            SavedBackground::load(
                &path,
                &reference,
                &filter,
                &Molecules::Fragments,
                10,
                &names,
            )
        };
        let mut fine = ContextRates::empty();
        fine.dispersion = vec![1.0, 2.5, 1.0, 1.0];
        fine.pooled.snv[3].add(2, 900);
        assert_eq!(load(fine.clone()).unwrap().len(), 1);
        // a huge dispersion is possible in principle; the test caps each
        // cluster at the site's molecules (weighted.rs), so it loads
        fine.dispersion[0] = 9.2e18;
        assert_eq!(load(fine.clone()).unwrap().len(), 1);
        fine.dispersion[0] = 1.0;
        for (why, edit) in [
            (
                "dispersion",
                (|r: &mut ContextRates| r.dispersion[0] = -3.0) as fn(&mut ContextRates),
            ),
            ("dispersion", |r| r.dispersion[1] = 0.5),
            ("alt of", |r| r.pooled.del[2].add(50, 10)),
            ("wrong length", |r| {
                r.by_class[1].snv.pop().map(drop).unwrap_or(())
            }),
            ("molecule classes", |r| r.by_class.truncate(2)),
            ("wrong length", |r| r.pooled.mnv.clear()),
        ] {
            let mut bad = fine.clone();
            edit(&mut bad);
            let e = load(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            let msg = e.to_string();
            assert!(
                msg.contains(why) && msg.contains("edited or damaged"),
                "{msg}"
            );
        }
    }

    #[test]
    fn a_file_cut_at_a_line_boundary_is_refused_as_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let fa = crate::testing::write_fasta(dir.path(), "r.fa", &[("chr1", "ACGTACGTAC")]);
        let reference = Reference::open(&fa).unwrap();
        let filter = crate::testing::read_filter(crate::evidence::OverlapPolicy::Merge);
        let saved = SavedBackground::new(&reference, &filter, 10, Molecules::Fragments, Vec::new());
        let text = serde_json::to_string_pretty(&saved).unwrap() + "\n";
        let lines: Vec<&str> = text.lines().collect();
        let path = dir.path().join("bg.json");
        let load = |t: &str| {
            std::fs::write(&path, t).unwrap();
            SavedBackground::load(&path, &reference, &filter, &Molecules::Fragments, 10, &[])
        };
        assert!(load(&text).unwrap().is_empty());
        for keep in 1..lines.len() {
            let e = load(&(lines[..keep].join("\n") + "\n")).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(
                e.to_string().contains("truncated background model"),
                "{keep}: {e}"
            );
        }
    }
}
