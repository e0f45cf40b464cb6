//! Per-position limit of detection as a bedGraph (`call --lod-bedgraph`):
//! 0-based half-open runs of positions with the same LOD, written as the
//! tracks arrive (into a reserved output the run commits atomically).

use crate::calling::lod::LodTrack;
use crate::reference::Contig;
use crate::{Error, Result};
use std::io::Write;

/// Six decimals: the LOD as a VAF, fine enough for 0.0001 (0.01%).
fn value(x: f64) -> String {
    format!("{x:.6}")
}

/// A bedGraph written as the tracks arrive in panel order: a track line,
/// then runs of equal (printed) LOD; adjacent tracks that continue each
/// other merge into one run.
pub struct BedGraph<'a, W: Write> {
    out: W,
    /// The output's name, for messages.
    path: std::path::PathBuf,
    contigs: &'a [Contig],
    /// The open run: contig, start, end, printed value.
    run: Option<(usize, u64, u64, String)>,
}

impl<'a, W: Write> BedGraph<'a, W> {
    /// Start the bedGraph of `sample` with its track line.
    pub fn new(
        mut out: W,
        path: &std::path::Path,
        contigs: &'a [Contig],
        sample: &str,
    ) -> Result<Self> {
        writeln!(
            out,
            "track type=bedGraph name=\"ctdna_lod_{sample}\" description=\"ctdna SNV limit of detection (VAF detected with 95% probability), sample {sample}\""
        )
        .map_err(|e| Error::io(path, e))?;
        Ok(BedGraph {
            out,
            path: path.to_path_buf(),
            contigs,
            run: None,
        })
    }

    /// Add the next track.
    pub fn push(&mut self, t: &LodTrack) -> Result<()> {
        for (i, &l) in t.lods.iter().enumerate() {
            let pos = t.start + i as u64;
            let v = value(l);
            match &mut self.run {
                Some((rid, _, end, val)) if *rid == t.rid && *end == pos && *val == v => {
                    *end += 1;
                }
                _ => {
                    self.flush()?;
                    self.run = Some((t.rid, pos, pos + 1, v));
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if let Some((rid, s, e, v)) = self.run.take() {
            writeln!(self.out, "{}\t{s}\t{e}\t{v}", self.contigs[rid].name)
                .map_err(|err| Error::io(&self.path, err))?;
        }
        Ok(())
    }

    /// Write the last run and hand back the output, flushed.
    pub fn finish(mut self) -> Result<W> {
        self.flush()?;
        self.out.flush().map_err(|e| Error::io(&self.path, e))?;
        Ok(self.out)
    }
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
        let mut g = BedGraph::new(Vec::new(), "x.bg".as_ref(), &contigs, "s").unwrap();
        for t in &tracks {
            g.push(t).unwrap();
        }
        let t = String::from_utf8(g.finish().unwrap()).unwrap();
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
