//! Per-position limit of detection as a bedGraph (`call --lod-bedgraph`):
//! 0-based half-open runs of positions with the same LOD, written atomically.

use crate::atomic::Pending;
use crate::calling::lod::LodTrack;
use crate::reference::Contig;
use crate::Result;

/// Six decimals: the LOD as a VAF, fine enough for 0.0001 (0.01%).
fn value(x: f64) -> String {
    format!("{x:.6}")
}

/// The bedGraph text: a track line, then runs of equal (printed) LOD;
/// adjacent tracks that continue each other merge into one run.
pub fn text(tracks: &[LodTrack], contigs: &[Contig], sample: &str) -> String {
    let mut out = format!(
        "track type=bedGraph name=\"ctdna_lod_{sample}\" description=\"ctdna SNV limit of detection (VAF detected with 95% probability), sample {sample}\"\n"
    );
    let mut run: Option<(usize, u64, u64, String)> = None;
    let flush = |run: &Option<(usize, u64, u64, String)>, out: &mut String| {
        if let Some((rid, s, e, v)) = run {
            out.push_str(&format!("{}\t{s}\t{e}\t{v}\n", contigs[*rid].name));
        }
    };
    for t in tracks {
        for (i, &l) in t.lods.iter().enumerate() {
            let pos = t.start + i as u64;
            let v = value(l);
            match &mut run {
                Some((rid, _, end, val)) if *rid == t.rid && *end == pos && *val == v => {
                    *end += 1;
                }
                _ => {
                    flush(&run, &mut out);
                    run = Some((t.rid, pos, pos + 1, v));
                }
            }
        }
    }
    flush(&run, &mut out);
    out
}

/// Write the bedGraph into a reserved output; the caller commits it with
/// the run's other outputs.
pub fn write(
    pending: Pending,
    tracks: &[LodTrack],
    contigs: &[Contig],
    sample: &str,
) -> Result<Pending> {
    pending.write_all(&text(tracks, contigs, sample))?;
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_adjacent_values_merge_into_runs() {
        let contigs = vec![Contig {
            name: "chr1".into(),
            len: 100,
        }];
        let tracks = vec![
            LodTrack {
                rid: 0,
                start: 10,
                target: 0,
                depths: vec![],
                lods: vec![0.001, 0.001, 0.002],
            },
            // Continues the previous shard: the run goes on.
            LodTrack {
                rid: 0,
                start: 13,
                target: 0,
                depths: vec![],
                lods: vec![0.002, 1.0],
            },
            // A gap: a new run even with the same value.
            LodTrack {
                rid: 0,
                start: 20,
                target: 0,
                depths: vec![],
                lods: vec![1.0],
            },
        ];
        let t = text(&tracks, &contigs, "s");
        let body: Vec<&str> = t.lines().skip(1).collect();
        assert_eq!(
            body,
            vec![
                "chr1\t10\t12\t0.001000",
                "chr1\t12\t14\t0.002000",
                "chr1\t14\t15\t1.000000",
                "chr1\t20\t21\t1.000000"
            ]
        );
        assert!(t.starts_with("track type=bedGraph"));
    }
}
