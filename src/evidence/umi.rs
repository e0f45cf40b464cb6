//! UMIs: where a read's UMI comes from, the evidence tiers, and the
//! grouping of UMIs into families by directional adjacency (SPEC 2.3).
//!
//! METHOD: within one set of fragment coordinates, UMIs are counted (one
//! count per template) and visited from the most to the least frequent
//! (ties by sequence, so the result does not depend on input order). An
//! unvisited UMI becomes a family root; a UMI `v` one mismatch away from a
//! member `u` joins `u`'s family when `count(v) <= 2 * count(u) - 1` (the
//! directional method of UMI-tools, Smith et al. 2017): a sequencing error
//! in a UMI makes a rare neighbour of a common UMI, while two real
//! molecules that happen to differ by one base have similar counts.

use super::aux_tags::{aux_field, AuxValue};
use super::umi_check;
use crate::sam::{MATE_REVERSE, READ1, READ2, REVERSE};
use rust_htslib::bam::record::Record;

/// How much error correction a molecule's base has had.
///
/// `--min-tier` takes these values through `cli::TierArg`, whose doc lines
/// (the per-value help) repeat these: change both together.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// One read (or the two overlapping mates of one template): a family of
    /// fewer than `--min-family` templates, or a fragment without a UMI.
    Raw,
    /// Single-strand consensus of `>= --min-family` templates of one strand.
    Single,
    /// Both strands' consensuses agree (dual UMIs).
    Duplex,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Raw, Tier::Single, Tier::Duplex];

    /// Index into per-tier arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name written to INFO/TIER and the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Raw => "raw",
            Tier::Single => "single",
            Tier::Duplex => "duplex",
        }
    }
}

/// The UMI options of a run as given (`--umi-tag`, `--no-umi`,
/// `--umi-from-name`, `--min-family`, `--min-agreement`, `--min-tier`):
/// [`resolve`] checks them and, with the inputs, decides the mode.
#[derive(Debug, Clone, PartialEq)]
pub struct UmiOptions {
    /// Aux tag with the UMI; must be two characters.
    pub tag: String,
    /// Count fragments, ignoring UMIs.
    pub no_umi: bool,
    /// Take the UMI from the read name's last `:`-field (forces UMI mode
    /// when the names end in UMIs).
    pub from_name: bool,
    /// Templates a strand needs for a single-strand consensus.
    pub min_family: u32,
    /// Fraction of a strand's reads that must agree on a base.
    pub min_agreement: f64,
    /// Count molecules of this tier or better; given, it forces UMI mode
    /// when reads carry UMIs ([`Tier::Raw`], every molecule, when not given).
    pub min_tier: Option<Tier>,
}

/// Validated UMI settings (present only in UMI mode).
#[derive(Debug, Clone, serde::Serialize)]
pub struct UmiConfig {
    /// Aux tag holding the UMI (`RX`).
    #[serde(serialize_with = "tag_str")]
    pub tag: [u8; 2],
    /// Take the UMI from the read name's last `:`-field instead.
    pub from_name: bool,
    /// Templates a strand needs for a single-strand consensus.
    pub min_family: u32,
    /// Fraction of a strand's reads that must agree at a position.
    pub min_agreement: f64,
    /// Molecules of this tier or better are tested.
    pub min_tier: Tier,
}

/// What one counted molecule is in a run: a fragment, or a UMI molecule of
/// a tier or better made with given consensus settings. Every file fitted on
/// counts records it (`call --write-background`, `ctdna pon`), and a run
/// that uses such a file must count the same molecules: error rates of
/// fragments, single-strand and duplex consensus differ several-fold, so
/// rates of one are wrong as the null of another.
///
/// In files: `{"kind":"fragments"}` or `{"kind":"umi","min_tier":"single",
/// "min_family":2,"min_agreement":0.9}`. Where the UMI is read from (tag or
/// read name) is left out: it does not change what a molecule is.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Molecules {
    /// No UMI mode: fragments (overlapping mates merged).
    Fragments,
    /// UMI mode: molecules of `min_tier` or better.
    Umi {
        min_tier: Tier,
        min_family: u32,
        min_agreement: f64,
    },
}

impl Molecules {
    /// The molecules a run with this UMI setting counts.
    pub fn of(umi: Option<&UmiConfig>) -> Molecules {
        match umi {
            None => Molecules::Fragments,
            Some(u) => Molecules::Umi {
                min_tier: u.min_tier,
                min_family: u.min_family,
                min_agreement: u.min_agreement,
            },
        }
    }

    /// `fragments`, or the lowest UMI tier counted (`raw`, `single`, `duplex`).
    pub fn name(&self) -> &'static str {
        match self {
            Molecules::Fragments => "fragments",
            Molecules::Umi { min_tier, .. } => min_tier.name(),
        }
    }

    /// In words, for messages.
    pub fn describe(&self) -> String {
        match self {
            Molecules::Fragments => "fragments (no UMI consensus)".into(),
            Molecules::Umi {
                min_tier,
                min_family,
                min_agreement,
            } => format!(
                "UMI molecules of tier {} or better (--min-family {min_family}, --min-agreement {min_agreement})",
                min_tier.name()
            ),
        }
    }

    /// The options that make a run count these molecules.
    pub fn options(&self) -> String {
        match self {
            Molecules::Fragments => "--no-umi".into(),
            Molecules::Umi {
                min_tier,
                min_family,
                min_agreement,
            } => format!(
                "--min-tier {} --min-family {min_family} --min-agreement {min_agreement}",
                min_tier.name()
            ),
        }
    }

    /// Refuse a file (`what` it is, at `path`) fitted on `fitted` molecules
    /// when this run counts others; `rebuild` is the command that writes
    /// the file again.
    pub fn check_file(
        &self,
        fitted: &Molecules,
        path: &std::path::Path,
        what: &str,
        rebuild: &str,
    ) -> crate::Result<()> {
        if fitted == self {
            return Ok(());
        }
        Err(crate::Error::bad_input(
            path,
            format!(
                "this {what} was fitted on {}, but this run counts {}: their error rates differ, so one cannot be the null of the other",
                fitted.describe(),
                self.describe()
            ),
            format!(
                "run with `{}` to count what the file holds, or {rebuild} with `{}`",
                fitted.options(),
                self.options()
            ),
        ))
    }
}

fn tag_str<S: serde::Serializer>(t: &[u8; 2], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(t))
}

/// Longest UMI kept (longer ones are cut; dual UMIs of 2x16 fit).
pub const MAX_UMI: usize = 40;

/// A UMI stored inline (no heap allocation per read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Umi {
    len: u8,
    b: [u8; MAX_UMI],
}

impl Default for Umi {
    fn default() -> Self {
        Umi {
            len: 0,
            b: [0; MAX_UMI],
        }
    }
}

impl Umi {
    /// From bytes, upper-cased, cut at [`MAX_UMI`].
    pub fn new(s: &[u8]) -> Umi {
        let mut u = Umi::default();
        let n = s.len().min(MAX_UMI);
        for (d, &c) in u.b.iter_mut().zip(&s[..n]) {
            *d = c.to_ascii_uppercase();
        }
        u.len = n as u8;
        u
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.b[..usize::from(self.len)]
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A dual UMI `A-B` (one `-`).
    pub fn is_dual(&self) -> bool {
        self.as_bytes().contains(&b'-')
    }

    /// `A-B` → `B-A`; a single UMI is returned as it is.
    pub fn swapped(&self) -> Umi {
        let s = self.as_bytes();
        match s.iter().position(|&c| c == b'-') {
            Some(i) => {
                let mut v = [0u8; MAX_UMI];
                let (a, b) = (&s[..i], &s[i + 1..]);
                v[..b.len()].copy_from_slice(b);
                v[b.len()] = b'-';
                v[b.len() + 1..s.len()].copy_from_slice(a);
                Umi::new(&v[..s.len()])
            }
            None => *self,
        }
    }

    /// The UMI as read on the top strand: a dual UMI `A-B` from a template
    /// whose read 1 is on the bottom strand is `B-A` (read 1 reads the other
    /// end of the molecule first), so both strands of one molecule get the
    /// same canonical UMI.
    pub fn canonical(&self, top: bool) -> Umi {
        if top {
            *self
        } else {
            self.swapped()
        }
    }
}

impl AsRef<[u8]> for Umi {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// The read's UMI, if it has one: the value where it should be, when that
/// is DNA letters (a read number taken from the read name is no UMI; see
/// `umi_check`).
pub fn umi_of(rec: &Record, cfg: &UmiConfig) -> Option<Umi> {
    umi_value(rec, cfg).filter(|u| umi_check::is_dna(u.as_bytes()))
}

/// The value where the read's UMI should be, whatever it holds: the tag's,
/// or the read name's last `:`-field.
fn umi_value(rec: &Record, cfg: &UmiConfig) -> Option<Umi> {
    if cfg.from_name {
        let name = rec.qname();
        let i = name.iter().rposition(|&c| c == b':')?;
        let u = &name[i + 1..];
        if u.is_empty() {
            return None;
        }
        // Illumina joins dual UMIs with `+` in read names; fgbio's tags use `-`.
        let mut umi = Umi::new(u);
        let n = usize::from(umi.len);
        for c in &mut umi.b[..n] {
            if *c == b'+' {
                *c = b'-';
            }
        }
        return Some(umi);
    }
    match aux_field(rec, &cfg.tag).and_then(AuxValue::utf8) {
        Some(s) if !s.is_empty() => Some(Umi::new(s.as_bytes())),
        _ => None,
    }
}

fn int_tag(rec: &Record, tag: &[u8; 2]) -> Option<i64> {
    aux_field(rec, tag).and_then(AuxValue::int)
}

/// A read already made by a consensus caller (fgbio's `cD` depth tag, with
/// `aD`/`bD` per-strand depths for duplex consensus reads): its tier, or
/// `None` for an ordinary read.
///
/// METHOD: a duplex consensus read with both strands present (`aD` and
/// `bD` >= 1) is [`Tier::Duplex`]; otherwise a consensus of
/// `>= min_family` reads (`cD`) is [`Tier::Single`], fewer is
/// [`Tier::Raw`]. `cM`/`cE` (minimum depth, error rate) are not needed.
pub fn consensus_tier(rec: &Record, min_family: u32) -> Option<Tier> {
    let depth = int_tag(rec, b"cD")?;
    let a = int_tag(rec, b"aD").unwrap_or(0);
    let b = int_tag(rec, b"bD").unwrap_or(0);
    Some(if a >= 1 && b >= 1 {
        Tier::Duplex
    } else if depth >= i64::from(min_family) {
        Tier::Single
    } else {
        Tier::Raw
    })
}

/// Reads looked at to detect UMIs and families.
const DETECT_READS: usize = 2000;

/// The flag bits that tell a template's orientation apart: which strand
/// each mate is on and which mate this is (families share them).
const ORIENTATION: u16 = REVERSE | MATE_REVERSE | READ1 | READ2;

/// What the first reads of an input show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Presence {
    None,
    /// Values where the UMIs should be, but most are not DNA
    /// (`umi_check`): not used as UMIs; the input was warned about.
    NotUmis,
    /// UMIs, but no two reads of one family: a library without PCR
    /// duplicates, where consensus has nothing to correct.
    UmisOnly,
    /// Reads sharing position, mate position, orientation and UMI (or
    /// consensus reads from fgbio).
    Families,
}

fn detect(
    input: &super::bam::AlignmentInput,
    reference: &crate::reference::Reference,
    cfg: &UmiConfig,
) -> crate::Result<Presence> {
    use rust_htslib::bam::Read;
    if input.empty {
        return Ok(Presence::None);
    }
    let mut r = input.reader(reference)?;
    r.fetch(rust_htslib::bam::FetchDefinition::All)
        .map_err(|e| crate::Error::hts(format!("{}: reading", input.path.display()), e))?;
    let mut rec = Record::new();
    let mut keys: Vec<(i64, i64, u16, Umi)> = Vec::new();
    let mut values: Vec<Umi> = Vec::new();
    let mut first_name = None;
    let mut n = 0;
    while let Some(Ok(())) = r.read(&mut rec) {
        if aux_field(&rec, b"cD").is_some() {
            return Ok(Presence::Families);
        }
        if let Some(u) = umi_value(&rec, cfg) {
            values.push(u);
            if umi_check::is_dna(u.as_bytes()) {
                keys.push((rec.pos(), rec.mpos(), rec.flags() & ORIENTATION, u));
            }
        }
        first_name.get_or_insert_with(|| String::from_utf8_lossy(rec.qname()).into_owned());
        n += 1;
        if n >= DETECT_READS {
            break;
        }
    }
    if values.is_empty() {
        if let Some(name) = first_name.filter(|_| cfg.from_name) {
            log::warn!("{}", umi_check::no_name_field(&input.path, &name));
        }
        return Ok(Presence::None);
    }
    if let Some(doubt) = umi_check::judge(&values) {
        log::warn!(
            "{}",
            umi_check::warning(&input.path, (cfg.from_name, cfg.tag), &doubt)
        );
        if doubt.rules_out() {
            return Ok(Presence::NotUmis);
        }
    }
    keys.sort_unstable();
    let repeats = keys.windows(2).filter(|w| w[0] == w[1]).count();
    // METHOD: 1% of reads repeating a (position, mate, orientation, UMI)
    // key: with 8-base UMIs chance collisions are far rarer.
    Ok(if repeats * 100 >= keys.len() {
        Presence::Families
    } else {
        Presence::UmisOnly
    })
}

/// UMI mode from the command line and the inputs: `None` for fragment mode
/// (`--no-umi`; no input has UMIs on its first reads, values that are not
/// DNA letters being none (`umi_check`, with a warning); or, unless
/// `--min-tier` or `--umi-from-name` asks for UMI mode, UMIs without any
/// read families).
///
/// The one way every command (`call`, `count`, `pon`, `mrd`) turns its
/// [`UmiOptions`] into a mode: all inputs of a run are counted
/// alike, so one input with families puts the run in UMI mode. In UMI mode
/// the engine's `SampleEvidence::counts` hold the molecules of the chosen tier
/// and better (`families::count_batch_umi`), so everything downstream of
/// the counts is tier-aware without knowing it.
pub fn resolve(
    a: &UmiOptions,
    inputs: &[super::bam::AlignmentInput],
    reference: &crate::reference::Reference,
) -> crate::Result<Option<UmiConfig>> {
    let usage = |m: String| crate::Error::Usage(m);
    let tag: [u8; 2] = a
        .tag
        .as_bytes()
        .try_into()
        .map_err(|_| usage(format!("--umi-tag {:?} must be two characters", a.tag)))?;
    if !(a.min_agreement > 0.5 && a.min_agreement <= 1.0) {
        return Err(usage("--min-agreement must be in (0.5, 1]".into()));
    }
    if a.min_family == 0 {
        return Err(usage("--min-family must be at least 1".into()));
    }
    if a.no_umi {
        return Ok(None);
    }
    let cfg = UmiConfig {
        tag,
        from_name: a.from_name,
        min_family: a.min_family,
        min_agreement: a.min_agreement,
        min_tier: a.min_tier.unwrap_or(Tier::Raw),
    };
    let mut best = Presence::None;
    for i in inputs {
        best = best.max(detect(i, reference, &cfg)?);
        if best == Presence::Families {
            break;
        }
    }
    mode(best, a, cfg, inputs)
}

/// The mode for what detection found, `best` being the most that any
/// input showed. `--umi-from-name` and `--min-tier` force UMI mode only on
/// inputs with UMIs: values that are not DNA are none (`umi_check`).
fn mode(
    best: Presence,
    a: &UmiOptions,
    cfg: UmiConfig,
    inputs: &[super::bam::AlignmentInput],
) -> crate::Result<Option<UmiConfig>> {
    let umi_mode = |cfg: UmiConfig| {
        log::info!(
            "UMI mode: counting {} molecules and better",
            cfg.min_tier.name()
        );
        Ok(Some(cfg))
    };
    match (best, a.min_tier) {
        (Presence::Families, _) | (Presence::UmisOnly, Some(_)) => umi_mode(cfg),
        (Presence::UmisOnly, None) if a.from_name => {
            let paths: Vec<String> = inputs
                .iter()
                .map(|i| i.path.display().to_string())
                .collect();
            log::warn!(
                "--umi-from-name: no read families among the first {DETECT_READS} reads of {} (no two templates share position, orientation and UMI): every family will be one template (raw tier). A BAM of consensus reads holds one read pair per molecule: run it with --no-umi to count each as one molecule",
                paths.join(", ")
            );
            umi_mode(cfg)
        }
        (Presence::UmisOnly, None) => {
            log::info!(
                "reads carry UMIs but no read families among the first {DETECT_READS}: counting fragments (--min-tier forces UMI mode)"
            );
            Ok(None)
        }
        (Presence::None | Presence::NotUmis, Some(t)) if t > Tier::Raw => {
            Err(crate::Error::Usage(format!(
                "--min-tier {} needs UMIs, and the first reads carry none in {}",
                t.name(),
                umi_check::source(cfg.from_name, cfg.tag)
            )))
        }
        (Presence::None | Presence::NotUmis, _) => Ok(None),
    }
}

fn one_mismatch(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).filter(|(x, y)| x != y).count() == 1
}

/// Directional adjacency: `umis` are distinct UMIs with their template
/// counts. Returns, for each input, the index of its family's root
/// (itself for a root). Deterministic for any input order.
pub fn directional_families(umis: &[(Umi, u32)]) -> Vec<usize> {
    let n = umis.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&i, &j| {
        umis[j]
            .1
            .cmp(&umis[i].1)
            .then_with(|| umis[i].0.cmp(&umis[j].0))
    });
    let mut root = vec![usize::MAX; n];
    let mut stack = Vec::new();
    for &r in &order {
        if root[r] != usize::MAX {
            continue;
        }
        root[r] = r;
        stack.push(r);
        while let Some(u) = stack.pop() {
            let limit = 2 * u64::from(umis[u].1) - 1;
            for &v in &order {
                if root[v] == usize::MAX
                    && u64::from(umis[v].1) <= limit
                    && one_mismatch(umis[u].0.as_bytes(), umis[v].0.as_bytes())
                {
                    root[v] = r;
                    stack.push(v);
                }
            }
        }
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_htslib::bam::record::Aux;

    fn u(s: &str) -> Umi {
        Umi::new(s.as_bytes())
    }

    #[test]
    fn directional_adjacency_absorbs_rare_neighbours_only() {
        // AAAA (100) absorbs AAAT (3) and, through it, AATT (1).
        let umis = [
            (u("AAAT"), 3),
            (u("AAAA"), 100),
            (u("AATT"), 1),
            (u("CCCC"), 5),
            (u("CCCG"), 11),
        ];
        let r = directional_families(&umis);
        assert_eq!(r[0], 1);
        assert_eq!(r[1], 1);
        assert_eq!(r[2], 1, "chained through AAAT");
        // CCCG (11) is more than 2*5-1 = 9: CCCC cannot absorb it, but
        // CCCG, visited first, absorbs CCCC (5 <= 21).
        assert_eq!(r[4], 4);
        assert_eq!(r[3], 4);
        // Two equally common neighbours: 10 <= 2*10-1, so they merge.
        let r = directional_families(&[(u("GGGG"), 10), (u("GGGA"), 10)]);
        assert_eq!(r[0], r[1]);
        // The chain stops at a neighbour with more than 2n-1: AAAT (3),
        // absorbed by AAAA, cannot absorb AATT (6 > 5).
        let r = directional_families(&[(u("AAAA"), 10), (u("AAAT"), 3), (u("AATT"), 6)]);
        assert_eq!(r, vec![0, 0, 2]);
        // Input order does not matter.
        let a = directional_families(&[(u("ACGT"), 5), (u("ACGA"), 1)]);
        let b = directional_families(&[(u("ACGA"), 1), (u("ACGT"), 5)]);
        assert_eq!(a, vec![0, 0]);
        assert_eq!(b, vec![1, 1]);
    }

    #[test]
    fn umi_from_the_tag_or_the_read_name() {
        let mut r = Record::new();
        r.set(b"M1:7:FC:1:1101:10:20:ACGT+TTGA", None, b"A", &[30]);
        let mut cfg = UmiConfig {
            tag: *b"RX",
            from_name: true,
            min_family: 2,
            min_agreement: 0.9,
            min_tier: Tier::Single,
        };
        assert_eq!(umi_of(&r, &cfg).unwrap().as_bytes(), b"ACGT-TTGA");
        // A read number is no UMI (umi_check): the read has none.
        let mut numbered = Record::new();
        numbered.set(b"consensus:1234", None, b"A", &[30]);
        assert_eq!(umi_value(&numbered, &cfg).unwrap().as_bytes(), b"1234");
        assert!(umi_of(&numbered, &cfg).is_none());
        cfg.from_name = false;
        assert!(umi_of(&r, &cfg).is_none());
        r.push_aux(b"RX", Aux::String("gatt-ccaa")).unwrap();
        assert_eq!(umi_of(&r, &cfg).unwrap().as_bytes(), b"GATT-CCAA");
        assert_eq!(consensus_tier(&r, 2), None);
        r.push_aux(b"cD", Aux::I32(1)).unwrap();
        assert_eq!(consensus_tier(&r, 2), Some(Tier::Raw));
    }

    #[test]
    fn dual_umis_pair_the_two_strands() {
        let top = u("ACGT-TTGA");
        let bottom = u("TTGA-ACGT");
        assert_eq!(top.canonical(true), bottom.canonical(false));
        assert_eq!(bottom.canonical(false).as_bytes(), b"ACGT-TTGA");
        assert!(top.is_dual());
        // Uneven halves and single UMIs.
        assert_eq!(u("AC-GTA").swapped().as_bytes(), b"GTA-AC");
        assert_eq!(u("ACGT").canonical(false), u("ACGT"));
        assert_eq!(u("acgt").as_bytes(), b"ACGT");
    }
}
