//! `ctdna count` table: one row per (sample, position, allele).
//!
//! Columns: `sample chrom pos ref alt type depth count fwd rev f1r2 f2r1
//! mean_bq mean_mq mean_dist del_span`, and in UMI mode a last column
//! `tier`: the lowest tier counted (`raw`, `single`, `duplex`; molecules of
//! that tier or better). A column, not a header comment: every line stays a
//! plain TSV row that `cut`, `awk`, R and pandas read without a comment
//! option, and a fragment table keeps its columns byte for byte. `pos` is
//! 1-based; indels are in VCF form (anchor base first). The `REF` row is
//! always written, alt rows when the allele was seen (or is a requested
//! known allele).

use crate::evidence::alleles::{AlleleStats, Indel, PositionCounts, BASES};
use crate::evidence::engine::ShardEvidence;
use std::io::Write;

/// Column header line of a fragment table.
pub const HEADER: &str = "sample\tchrom\tpos\tref\talt\ttype\tdepth\tcount\tfwd\trev\tf1r2\tf2r1\tmean_bq\tmean_mq\tmean_dist\tdel_span\n";

/// The header line: [`HEADER`], with a `tier` column when `tier` is given
/// (UMI mode).
pub fn header(tier: Option<&str>) -> String {
    match tier {
        None => HEADER.to_string(),
        Some(_) => HEADER.replace('\n', "\ttier\n"),
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    w: &mut dyn Write,
    sample: &str,
    chrom: &str,
    pos1: u64,
    r: &[u8],
    a: &[u8],
    kind: &str,
    pc: &PositionCounts,
    s: &AlleleStats,
    tier: Option<&str>,
) -> std::io::Result<()> {
    write!(
        w,
        "{sample}\t{chrom}\t{pos1}\t{}\t{}\t{kind}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.2}\t{:.2}\t{:.2}\t{}",
        String::from_utf8_lossy(r),
        String::from_utf8_lossy(a),
        pc.depth(),
        s.n,
        s.fwd,
        s.rev,
        s.f1r2,
        s.f2r1,
        s.mean_bq(),
        s.mean_mq(),
        s.mean_dist(),
        pc.del_span
    )?;
    match tier {
        Some(t) => writeln!(w, "\t{t}"),
        None => writeln!(w),
    }
}

/// Write the rows of one shard. `keep(pos0)` selects positions (targets or
/// known loci); `tier` (UMI mode) fills the `tier` column.
pub fn write_shard(
    w: &mut dyn Write,
    ev: &ShardEvidence,
    chrom: &str,
    samples: &[String],
    keep: &dyn Fn(u64) -> bool,
    tier: Option<&str>,
) -> std::io::Result<()> {
    for (sample, ss) in samples.iter().zip(&ev.samples) {
        for (i, pc) in ss.counts.positions.iter().enumerate() {
            let pos0 = ss.counts.start + i as u64;
            if !keep(pos0) {
                continue;
            }
            let rb = ev.window.base(pos0 as i64);
            let ref_idx = crate::evidence::alleles::base_index(rb);
            let empty = AlleleStats::default();
            let ref_stats = ref_idx.map_or(&empty, |i| &pc.bases[i]);
            row(
                w,
                sample,
                chrom,
                pos0 + 1,
                &[rb],
                b".",
                "REF",
                pc,
                ref_stats,
                tier,
            )?;
            for (b, s) in pc.bases.iter().enumerate() {
                if Some(b) != ref_idx && s.n > 0 {
                    row(
                        w,
                        sample,
                        chrom,
                        pos0 + 1,
                        &[rb],
                        &[BASES[b]],
                        "SNV",
                        pc,
                        s,
                        tier,
                    )?;
                }
            }
            for (indel, s) in &pc.indels {
                let (r, a) = indel.alleles(&ev.window, pos0 as i64);
                let kind = match indel {
                    Indel::Ins(_) => "INS",
                    Indel::Del(_) => "DEL",
                    Indel::Mnv(_) => "MNV",
                    Indel::Delins { .. } => "DELINS",
                };
                row(w, sample, chrom, pos0 + 1, &r, &a, kind, pc, s, tier)?;
            }
        }
    }
    Ok(())
}
