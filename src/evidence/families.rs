//! The UMI read loop: one batch of shards of one sample read with one
//! fetch, mates paired by name, each template handed to the
//! [`family_window`](super::family_window) that groups templates into
//! families and counts each as molecules of its tier (SPEC 2.3).

use super::alleles::ShardCounts;
use super::batch::{
    mate_on_contig, name_hash, Batch, BatchCounter, NameMap, ReadGate, SampleEvidence, UmiEvidence,
};
use super::family_window::{Coords, Counted, Half, Window};
use super::filters::{ReadCounters, ReadFilter};
use super::observe::Ranges;
use super::umi::{Tier, UmiConfig};
use crate::Result;
use rust_htslib::bam::{Read, Record};
use std::sync::Once;

/// Counts UMI families: the read loop in UMI mode.
#[derive(Debug, Clone)]
pub struct UmiCounter {
    filter: ReadFilter,
    cfg: UmiConfig,
}

impl UmiCounter {
    pub fn new(filter: &ReadFilter, cfg: &UmiConfig) -> Self {
        UmiCounter {
            filter: filter.clone(),
            cfg: cfg.clone(),
        }
    }
}

impl BatchCounter for UmiCounter {
    fn count_batch(&self, b: Batch<'_>) -> Result<Vec<SampleEvidence>> {
        count_batch_umi(b, &self.filter, &self.cfg).map(|b| b.shards)
    }
}

/// First reads waiting for their mate, found by the hash of their name,
/// each with the key its template will have (from MC; `None` without it).
#[derive(Default)]
struct Waiting {
    by_name: NameMap<(Half, Option<Coords>)>,
    /// Names to release, reused.
    keys: Vec<u64>,
}

impl Waiting {
    /// Hand the waiting reads whose mate should have come before `pos`
    /// (all: `None`) to the window as templates of one read, in name-hash
    /// order: the order templates join their groups must not depend on the
    /// map's.
    fn release(&mut self, win: &mut Window<'_>, before: Option<i64>) {
        self.keys.clear();
        self.keys.extend(
            self.by_name
                .iter()
                .filter(|(_, w)| before.is_none_or(|p| win.mate_pos(&w.0) < p))
                .map(|(k, _)| *k),
        );
        self.keys.sort_unstable();
        for k in &self.keys {
            if let Some((h, e)) = self.by_name.remove(k) {
                win.add(h, None, e);
            }
        }
    }
}

/// Reads without MC: said once a run.
static NO_MC: Once = Once::new();

/// One batch counted in UMI mode.
#[derive(Debug)]
pub struct UmiBatch {
    /// Per shard of the batch, in order.
    pub shards: Vec<SampleEvidence>,
    /// The most reads the family window held at once.
    pub most_held: usize,
    /// A first mate waiting for its mate had no MC tag: families were
    /// held until their fragment's far end had passed.
    pub without_mc: bool,
}

/// Count the shards of `b` in UMI mode (see the module docs). Reads
/// flagged as duplicates are used: they are family members.
pub fn count_batch_umi(mut b: Batch<'_>, f: &ReadFilter, cfg: &UmiConfig) -> Result<UmiBatch> {
    let (path, ranges, window) = (b.path, b.ranges, b.window);
    let mut f = f.clone();
    f.keep_duplicates = true;
    let f = &f;
    if ranges.is_empty() {
        return Ok(UmiBatch {
            shards: Vec::new(),
            most_held: 0,
            without_mc: false,
        });
    }
    let keep = Ranges::of(ranges);
    let mut gate = ReadGate::fetch(&mut b, &keep, f)?;
    let reader = b.reader;
    let mut win = Window::new(cfg, ranges, window, &keep, f);
    let mut rec = Record::new();
    let mut waiting = Waiting::default();
    let mut last_sweep = i64::MIN;

    while let Some(res) = reader.read(&mut rec) {
        let Some((pos, _, _)) = gate.admit(res, &rec)? else {
            continue;
        };
        let few = gate.few_substitutions();
        if pos > last_sweep + 256 {
            last_sweep = pos;
            // Waiting reads whose mate should have come by now come alone.
            waiting.release(&mut win, Some(pos));
        }
        // Cheap when nothing is complete (one look at the first group).
        win.flush(Some(pos));

        if mate_on_contig(&rec) {
            let key = name_hash(rec.qname());
            let room = &mut waiting.by_name;
            let matched = room
                .get(&key)
                .is_some_and(|(w, _)| win.is_mate(w, &rec, pos));
            if matched {
                if let Some((w, e)) = room.remove(&key) {
                    let b = win.end(&rec, few);
                    win.add(w, Some(b), e);
                }
                continue;
            }
            if rec.mpos() >= pos && !room.contains_key(&key) {
                let h = win.half(&rec, few);
                let e = win.expect(&h, &rec);
                room.insert(key, (h, e));
                continue;
            }
        }
        let h = win.half(&rec, few);
        win.add(h, None, None);
    }
    waiting.release(&mut win, None);
    let counted = win.finish();
    if counted.without_mc {
        NO_MC.call_once(|| {
            log::info!(
                "{}: reads without the MC tag (the mate's CIGAR): UMI families are held until \
                 the fragment's far end has passed, several times the memory of a BAM with MC \
                 (samtools fixmate -m adds it)",
                path.display()
            )
        });
    }
    Ok(UmiBatch {
        most_held: counted.most_held,
        without_mc: counted.without_mc,
        shards: sample_evidence(counted, gate.reads, ranges, cfg.min_tier),
    })
}

/// Per shard: the tested counts (the tiers from `min_tier` up, pooled),
/// the reads, and the per-tier evidence.
fn sample_evidence(
    counted: Counted,
    reads: Vec<ReadCounters>,
    ranges: &[(u64, u64)],
    min_tier: Tier,
) -> Vec<SampleEvidence> {
    let [raw, single, duplex] = counted.tiers;
    let mut out = Vec::with_capacity(ranges.len());
    for (i, ((((r, s), d), rc), fams)) in raw
        .shards
        .into_iter()
        .zip(single.shards)
        .zip(duplex.shards)
        .zip(reads)
        .zip(counted.family_sizes)
        .enumerate()
    {
        let tiers = [r, s, d];
        let (start, end) = ranges[i];
        let mut counts = ShardCounts::new(start, end);
        for t in Tier::ALL.iter().filter(|t| **t >= min_tier) {
            for (dst, src) in counts.positions.iter_mut().zip(&tiers[t.index()].positions) {
                dst.merge(src);
            }
        }
        out.push(SampleEvidence {
            counts,
            reads: rc,
            umi: Some(Box::new(UmiEvidence::of(&tiers, fams))),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::Indel;
    use crate::evidence::OverlapPolicy;
    use crate::reference::RefWindow;
    use crate::testing::{batch_over_c1, copy_to_bam, random_sequence, remove_tag, write_fasta};
    use rust_htslib::bam;
    use std::path::Path;

    fn filter() -> ReadFilter {
        crate::testing::read_filter(OverlapPolicy::Merge)
    }

    fn cfg() -> UmiConfig {
        UmiConfig {
            tag: *b"RX",
            from_name: false,
            min_family: 2,
            min_agreement: 0.9,
            min_tier: Tier::Single,
        }
    }

    fn sub(reference: &str, pos1: usize, len: usize, alt: Option<(usize, char)>) -> String {
        let mut s: Vec<char> = reference[pos1 - 1..pos1 - 1 + len].chars().collect();
        if let Some((p, b)) = alt.filter(|&(p, _)| p >= pos1 && p < pos1 + len) {
            s[p - pos1] = b;
        }
        s.into_iter().collect()
    }

    /// One template as two SAM lines: fragment 11..=90 read as 2x50 (mates
    /// overlap on 41..=60); `top`: read 1 forward at 11, else read 1 reverse.
    fn template(
        name: &str,
        reference: &str,
        umi: &str,
        top: bool,
        alt: Option<(usize, char)>,
        tags: &str,
    ) -> [(usize, String); 2] {
        let q = "I".repeat(50);
        let (f1, f2) = if top { (99, 147) } else { (163, 83) };
        [
            (
                11,
                format!(
                    "{name}\t{f1}\tc1\t11\t60\t50M\t=\t41\t80\t{}\t{q}\tRX:Z:{umi}{tags}",
                    sub(reference, 11, 50, alt)
                ),
            ),
            (
                41,
                format!(
                    "{name}\t{f2}\tc1\t41\t60\t50M\t=\t11\t-80\t{}\t{q}\tRX:Z:{umi}{tags}",
                    sub(reference, 41, 50, alt)
                ),
            ),
        ]
    }

    fn run(lines: Vec<[(usize, String); 2]>, reference: &str, cfg: &UmiConfig) -> SampleEvidence {
        let dir = tempfile::tempdir().unwrap();
        let fa = write_fasta(dir.path(), "ref.fa", &[("c1", reference)]);
        let mut recs: Vec<(usize, String)> = lines.into_iter().flatten().collect();
        recs.sort_by_key(|r| r.0);
        let mut sam = String::from("@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:c1\tLN:200\n");
        for (_, l) in recs {
            sam.push_str(&l);
            sam.push('\n');
        }
        let (bam_path, mut reader, window) = batch_over_c1(dir.path(), &fa, "umi", &sam);
        let b = Batch::new(&mut reader, &bam_path, 0, &[(0, 200)], &window);
        count_batch_umi(b, &filter(), cfg).unwrap().shards.remove(0)
    }

    fn alt_of(reference: &str, pos1: usize) -> char {
        if &reference[pos1 - 1..pos1] == "T" {
            'G'
        } else {
            'T'
        }
    }

    #[test]
    fn families_tiers_and_duplex_alt_counts() {
        let reference = random_sequence(200, 3);
        let a = alt_of(&reference, 30);
        let alt = Some((30, a));
        let mut t = Vec::new();
        // Molecule 1: duplex, carries the alt; 2 top + 1 bottom templates,
        // one top UMI with a sequencing error (merged by adjacency).
        t.push(template("m1a", &reference, "AAAA-CCCC", true, alt, ""));
        t.push(template("m1b", &reference, "AAAT-CCCC", true, alt, ""));
        t.push(template("m1c", &reference, "CCCC-AAAA", false, alt, ""));
        // Molecule 2: top strand only, 3 templates, alt: single tier.
        for n in ["m2a", "m2b", "m2c"] {
            t.push(template(n, &reference, "GGGG-TTTT", true, alt, ""));
        }
        // Molecule 3: duplex, reference.
        t.push(template("m3a", &reference, "ACAC-GTGT", true, None, ""));
        t.push(template("m3b", &reference, "GTGT-ACAC", false, None, ""));
        // Molecule 4: one template: raw.
        t.push(template("m4a", &reference, "TTTT-GGGA", true, None, ""));
        // Molecule 5: strands disagree: no base at 30.
        t.push(template("m5a", &reference, "CATG-CATG", true, alt, ""));
        t.push(template("m5b", &reference, "CATG-CATG", false, None, ""));
        let s = run(t, &reference, &cfg());
        let u = s.umi.as_ref().unwrap();
        let i = alt_index(a);
        let alt_at = |tier: Tier| u.base(29, tier, i);
        assert_eq!(alt_at(Tier::Duplex), 1, "molecule 1");
        assert_eq!(u.depth(29, Tier::Duplex), 2, "molecules 1 and 3");
        assert_eq!(alt_at(Tier::Single), 1, "molecule 2");
        assert_eq!(u.depth(29, Tier::Single), 1);
        assert_eq!(u.depth(29, Tier::Raw), 1, "molecule 4");
        // Tested counts (single and better): molecules 1-3.
        assert_eq!(s.counts.positions[29].depth(), 3);
        assert_eq!(s.counts.positions[29].bases[i].n, 2);
        // Elsewhere molecule 5 is a duplex too: 5 molecules, 5 families.
        assert_eq!(Tier::ALL.iter().map(|&t| u.depth(19, t)).sum::<u32>(), 5);
        // Sizes: m4 (1); m3, m5 (2); m1, m2 (3).
        assert_eq!(u.family_sizes, vec![0, 1, 2, 2]);
    }

    fn alt_index(b: char) -> usize {
        crate::evidence::alleles::base_index(b as u8).unwrap()
    }

    /// One top-strand template carrying an insertion after 50 (fragment
    /// 11..=90, 2x56 with the insertion in the mates' overlap): read 1
    /// shows `ins`, read 2 `ins2` with qualities `q2` for the inserted
    /// bases.
    fn insertion_template(
        name: &str,
        reference: &str,
        umi: &str,
        ins: &str,
        (ins2, q2): (&str, &str),
    ) -> [(usize, String); 2] {
        let r1 = format!("{}{ins}{}", &reference[10..50], &reference[50..60]);
        let r2 = format!("{}{ins2}{}", &reference[40..50], &reference[50..90]);
        let (q, q40) = ("I".repeat(56), "I".repeat(40));
        [
            (
                11,
                format!("{name}\t99\tc1\t11\t60\t40M6I10M\t=\t41\t80\t{r1}\t{q}\tRX:Z:{umi}"),
            ),
            (
                41,
                format!("{name}\t147\tc1\t41\t60\t10M6I40M\t=\t11\t-80\t{r2}\tIIIIIIIIII{q2}{q40}\tRX:Z:{umi}"),
            ),
        ]
    }

    /// Three molecules of three top-strand templates carrying a 6 bp
    /// insertion; in each, template b misreads the third inserted base.
    /// Molecule 1: read 2 at Q2; that base is masked, no evidence, and
    /// the family agrees (5 of 6 reads disagreed before: a split).
    /// Molecule 2: both reads, at Q40: a PCR error, which splits the strand
    /// as at a base. Molecule 3: read 2 at Q40, its mate reading it right:
    /// one of the two misread, so the template does not vote and the other
    /// two carry the molecule (its 5 of 6 reads split it before).
    #[test]
    fn inserted_bases_misread_by_one_read_do_not_split_a_family() {
        let reference = random_sequence(200, 11);
        // Ends in a base other than the anchor's: it cannot move left.
        let ins = if reference.as_bytes()[49] == b'A' {
            "GATTCC"
        } else {
            "GATTCA"
        };
        let wrong = format!("GAG{}", &ins[3..]);
        let mut t = Vec::new();
        for (m, umi, b1, q) in [
            (1, "AAAA-CCCC", ins, "II#III"),
            (2, "GGGG-TTTT", wrong.as_str(), "IIIIII"),
            (3, "CACA-GTGT", ins, "IIIIII"),
        ] {
            let right = (ins, "IIIIII");
            t.push(insertion_template(
                &format!("m{m}a"),
                &reference,
                umi,
                ins,
                right,
            ));
            t.push(insertion_template(
                &format!("m{m}b"),
                &reference,
                umi,
                b1,
                (&wrong, q),
            ));
            t.push(insertion_template(
                &format!("m{m}c"),
                &reference,
                umi,
                ins,
                right,
            ));
        }
        let s = run(t, &reference, &cfg());
        let at50 = &s.counts.positions[49];
        assert_eq!(at50.indels.len(), 1, "{:?}", at50.indels);
        assert_eq!(at50.indels[0].0, Indel::Ins(ins.as_bytes().to_vec()));
        assert_eq!(at50.indels[0].1.n, 2, "molecules 1 and 3");
        // Molecule 2 gives no base at the anchor either.
        assert_eq!(at50.depth(), 2);
        assert_eq!(s.counts.positions[29].depth(), 3);
    }

    #[test]
    fn fgbio_consensus_reads_count_at_their_tier() {
        let reference = random_sequence(200, 5);
        let a = alt_of(&reference, 30);
        let t = vec![
            template(
                "d",
                &reference,
                "AAAA-CCCC",
                true,
                Some((30, a)),
                "\tcD:i:6\taD:i:4\tbD:i:2",
            ),
            template(
                "s",
                &reference,
                "ACGT-ACGT",
                true,
                None,
                "\tcD:i:3\tcM:i:3\tcE:f:0.01",
            ),
            template("r", &reference, "ACGT-ACGT", true, None, "\tcD:i:1"),
        ];
        let s = run(t, &reference, &cfg());
        let u = s.umi.as_ref().unwrap();
        assert_eq!(u.base(29, Tier::Duplex, alt_index(a)), 1);
        // Same UMI and coordinates, but consensus reads are never re-grouped.
        assert_eq!(u.depth(29, Tier::Single), 1);
        assert_eq!(u.depth(29, Tier::Raw), 1);
    }

    #[test]
    fn mc_tags_flush_families_sooner_and_change_no_count() {
        use crate::simulate::params::SimParams;
        let dir = tempfile::tempdir().unwrap();
        let p = SimParams {
            seed: 3,
            contigs: 1,
            contig_len: 40_000,
            targets: 8,
            depth: 400,
            family_size: 4.0,
            duplex: true,
            ..SimParams::default()
        };
        crate::simulate::simulate(&p, dir.path()).unwrap();
        let with = dir.path().join("sample.bam");
        let without = copy_to_bam(&with, &dir.path().join("no-mc.bam"), |_, r| {
            remove_tag(b"MC", r)
        });
        // MC missing on one read in 500: the batch switches to the old rule
        // at the first such waiting read.
        let mixed = copy_to_bam(&with, &dir.path().join("some-mc.bam"), |i, r| {
            if i % 500 == 499 {
                remove_tag(b"MC", r)
            }
        });
        let fasta = rust_htslib::faidx::Reader::from_path(dir.path().join("ref.fa")).unwrap();
        let contig = crate::reference::Contig {
            name: fasta.seq_name(0).unwrap(),
            len: p.contig_len,
        };
        let window = RefWindow::fetch(&fasta, &contig, 0, p.contig_len).unwrap();
        let count = |bam: &Path| {
            let mut reader = bam::IndexedReader::from_path(bam).unwrap();
            let ranges = [(0, p.contig_len)];
            let mut b = count_batch_umi(
                Batch::new(&mut reader, bam, 0, &ranges, &window),
                &filter(),
                &cfg(),
            )
            .unwrap();
            (b.shards.remove(0), b.most_held, b.without_mc)
        };
        let (a, held_with, a_no_mc) = count(&with);
        let (b, held_without, b_no_mc) = count(&without);
        let (c, held_mixed, c_no_mc) = count(&mixed);
        assert_eq!((a_no_mc, b_no_mc, c_no_mc), (false, true, true));
        let families: u64 = a.umi.as_ref().unwrap().family_sizes[2..].iter().sum();
        assert!(families > 1000, "{families} families of 2 or more");
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert_eq!(format!("{a:?}"), format!("{c:?}"));
        assert!(held_with <= held_mixed && held_mixed <= held_without);
        // Fragments ~167 bp, reads 150 bp: a group waits ~SLACK, not a read
        // length.
        assert!(
            held_with * 3 < held_without,
            "{held_with} reads held with MC, {held_without} without"
        );
    }

    #[test]
    fn a_wrong_mc_loses_no_template() {
        let reference = random_sequence(200, 7);
        // One molecule, three templates; the third's MC gives its mate 45
        // bases, not 50, and its mate comes last: the group may be flushed
        // before it (a split, warned), but every template is counted once.
        let good = "\tMC:Z:50M";
        let t = vec![
            template("m2", &reference, "AAAA-CCCC", true, None, good),
            template("m3", &reference, "AAAA-CCCC", true, None, good),
            template("m1", &reference, "AAAA-CCCC", true, None, "\tMC:Z:45M"),
        ];
        let s = run(t, &reference, &cfg());
        let sizes = &s.umi.as_ref().unwrap().family_sizes;
        let templates: u64 = sizes.iter().enumerate().map(|(n, &c)| n as u64 * c).sum();
        assert_eq!(templates, 3, "{sizes:?}");
        // With a right MC everywhere, one family of three.
        let t = ["m2", "m3", "m1"]
            .map(|n| template(n, &reference, "AAAA-CCCC", true, None, good))
            .to_vec();
        let s = run(t, &reference, &cfg());
        assert_eq!(s.umi.as_ref().unwrap().family_sizes, vec![0, 0, 0, 1]);
    }
}
