//! Do an input's UMIs look like UMIs? [`judge`] looks at the values UMI
//! detection sampled (`umi::detect`) and says why they are not, or may not
//! be, UMIs; [`warning`] words that for the log.
//!
//! METHOD: the rule follows from what a UMI is: a short random DNA
//! sequence (A/C/G/T, N for a base not read; dual UMIs are two such parts
//! joined by `-`, or `+` in Illumina read names) of one length within a
//! library. A value with other characters is not a UMI: `--umi-from-name`
//! on reads named `...:1234` takes a read number, and a tag may hold
//! something else. Such values are not used as UMIs: family grouping
//! joins UMIs one mismatch apart, so read numbers 1234 and 1235 at one
//! position would merge two molecules into one family, and UMI mode uses
//! duplicate-flagged reads, so without real families every PCR copy would
//! count as a molecule. Lengths that vary among DNA values are only
//! doubtful (a tool may trim UMIs): said, and the UMIs still used. The
//! third sign, UMIs that never repeat at a position, is the detection's
//! own (no read families); it is legitimate for a library without PCR
//! duplicates, so it matters only when an option forces UMI mode.

use std::path::Path;

/// Why sampled values are not, or may not be, UMIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doubt {
    /// `bad` of the `of` values have characters other than DNA letters;
    /// `examples`: the first one or two of them.
    NotDna {
        bad: usize,
        of: usize,
        examples: Vec<String>,
    },
    /// DNA letters, but of different lengths: one value of the shortest
    /// and one of the longest length.
    LengthsVary { shortest: String, longest: String },
}

impl Doubt {
    /// The values are not UMIs and must not be grouped as UMIs: most of
    /// them are not DNA (a few odd values among DNA ones are said but do
    /// not switch a real UMI library to fragments).
    pub fn rules_out(&self) -> bool {
        match self {
            Doubt::NotDna { bad, of, .. } => 2 * bad > *of,
            Doubt::LengthsVary { .. } => false,
        }
    }

    /// The reason, in words.
    pub fn reason(&self) -> String {
        match self {
            Doubt::NotDna { bad, of, examples } => {
                let quoted: Vec<String> = examples.iter().map(|e| format!("`{e}`")).collect();
                let numbers = examples
                    .iter()
                    .all(|e| !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit()));
                let hint = if numbers { ": read numbers?" } else { "" };
                format!(
                    "{bad} of {of} values are not DNA letters (e.g. {}{hint})",
                    quoted.join(", ")
                )
            }
            Doubt::LengthsVary { shortest, longest } => format!(
                "their lengths vary from {} (`{shortest}`) to {} (`{longest}`)",
                shortest.len(),
                longest.len()
            ),
        }
    }
}

/// Is `u` DNA letters, in parts joined by `-` or `+` (dual UMIs)? Upper
/// case, as `umi::Umi` holds it.
pub fn is_dna(u: &[u8]) -> bool {
    // One pass, as it runs on every read in UMI mode: a separator needs a
    // base before it, and the value must end in a base.
    let mut after_base = false;
    for &c in u {
        match c {
            b'A' | b'C' | b'G' | b'T' | b'N' => after_base = true,
            b'-' | b'+' if after_base => after_base = false,
            _ => return false,
        }
    }
    after_base
}

/// Judge a sample of UMI values (one per read): `None` when they look like
/// UMIs, else the first doubt (values that are not DNA before lengths).
pub fn judge<U: AsRef<[u8]>>(umis: &[U]) -> Option<Doubt> {
    let text = |u: &U| String::from_utf8_lossy(u.as_ref()).into_owned();
    let not_dna: Vec<&U> = umis.iter().filter(|u| !is_dna(u.as_ref())).collect();
    if !not_dna.is_empty() {
        let mut examples: Vec<String> = Vec::new();
        for u in &not_dna {
            let t = text(u);
            if !examples.contains(&t) {
                examples.push(t);
            }
            if examples.len() == 2 {
                break;
            }
        }
        return Some(Doubt::NotDna {
            bad: not_dna.len(),
            of: umis.len(),
            examples,
        });
    }
    let shortest = umis.iter().min_by_key(|u| u.as_ref().len())?;
    let longest = umis.iter().max_by_key(|u| u.as_ref().len())?;
    (shortest.as_ref().len() != longest.as_ref().len()).then(|| Doubt::LengthsVary {
        shortest: text(shortest),
        longest: text(longest),
    })
}

/// Where the UMIs were taken from, in words: the read names
/// (`--umi-from-name`) or the tag `tag`.
pub fn source(from_name: bool, tag: [u8; 2]) -> String {
    if from_name {
        "the read names' last `:`-field (--umi-from-name)".into()
    } else {
        format!("the {} tag", String::from_utf8_lossy(&tag))
    }
}

/// What to do instead, for every warning about an input's UMIs.
fn advice(from_name: bool) -> String {
    let elsewhere = if from_name {
        "Drop --umi-from-name if the UMI is in a tag (--umi-tag, default RX)"
    } else {
        "Name the tag that holds the UMI with --umi-tag"
    };
    format!("{elsewhere}, or give --no-umi to count fragments (a consensus BAM holds one read pair per molecule); consensus reads from fgbio (cD/aD/bD tags) are counted as molecules without any UMI option")
}

/// What happens to reads whose values are not UMIs.
const WITHOUT: &str = "counted without UMIs (as fragments, unless another input has UMIs)";

/// The warning for `doubt` about the UMIs of the input at `path`, taken
/// from the read names or the tag `tag` ([`source`]).
pub fn warning(path: &Path, (from_name, tag): (bool, [u8; 2]), doubt: &Doubt) -> String {
    let (path, source, reason, advice) = (
        path.display(),
        source(from_name, tag),
        doubt.reason(),
        advice(from_name),
    );
    match doubt {
        Doubt::NotDna { .. } if doubt.rules_out() => format!(
            "{path}: {source} holds no UMIs: {reason}. A UMI is a short DNA sequence, so these reads are {WITHOUT}. {advice}"
        ),
        Doubt::NotDna { .. } => format!(
            "{path}: {source} holds values that are not UMIs: {reason}. A UMI is a short DNA sequence, so those reads are counted as reads without a UMI (families of their own). {advice}"
        ),
        Doubt::LengthsVary { .. } => format!(
            "{path}: {source} may not hold UMIs: {reason}, but the UMIs of one library have one length. They are used as UMIs. {advice}"
        ),
    }
}

/// The warning for an input none of whose first reads has a `:`-field in
/// its name (`--umi-from-name`); `example`: one read name.
pub fn no_name_field(path: &Path, example: &str) -> String {
    format!(
        "{}: --umi-from-name, but no read name among its first reads ends in a `:`-field to take a UMI from (e.g. `{example}`): its reads are {WITHOUT}. {}",
        path.display(),
        advice(true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values as a UMI holds them (upper case).
    fn umis(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter()
            .map(|s| s.as_bytes().to_ascii_uppercase())
            .collect()
    }

    #[test]
    fn read_numbers_are_not_umis() {
        let d = judge(&umis(&["1234", "1235", "88", "1234"])).unwrap();
        assert_eq!(
            d,
            Doubt::NotDna {
                bad: 4,
                of: 4,
                examples: vec!["1234".into(), "1235".into()],
            }
        );
        assert!(d.rules_out());
        assert_eq!(
            d.reason(),
            "4 of 4 values are not DNA letters (e.g. `1234`, `1235`: read numbers?)"
        );
        // Not digits: no guess at what they are.
        let d = judge(&umis(&["17_ACGT", "ACGTACGT"])).unwrap();
        assert_eq!(
            d.reason(),
            "1 of 2 values are not DNA letters (e.g. `17_ACGT`)"
        );
        // A few odd values among DNA UMIs are said, but do not rule them out.
        assert!(!d.rules_out());
    }

    #[test]
    fn lengths_that_vary_are_doubtful_but_not_ruled_out() {
        let d = judge(&umis(&["ACGTAC", "ACGTACGT", "ACGTACGTAC", "ACGTAC"])).unwrap();
        assert_eq!(
            d,
            Doubt::LengthsVary {
                shortest: "ACGTAC".into(),
                longest: "ACGTACGTAC".into(),
            }
        );
        assert!(!d.rules_out());
        assert_eq!(
            d.reason(),
            "their lengths vary from 6 (`ACGTAC`) to 10 (`ACGTACGTAC`)"
        );
        // Lengths are judged only when every value is DNA.
        let d = judge(&umis(&["7", "12345"])).unwrap();
        assert!(matches!(d, Doubt::NotDna { .. }));
    }

    #[test]
    fn real_umis_pass() {
        // 8-mers, with an N for a base not read, and lower case (upper-cased).
        assert_eq!(judge(&umis(&["ACGTACGT", "TTGANCAA", "ggccttaa"])), None);
        // Dual UMIs: fgbio's `-`, and Illumina's `+` as it is in a name.
        assert_eq!(judge(&umis(&["ACGT-TTGA", "GGCC-ATAT"])), None);
        assert_eq!(judge(&umis(&["ACGT+TTGA", "GGCC+ATAT"])), None);
        // Nothing sampled: nothing to doubt.
        assert_eq!(judge::<Vec<u8>>(&[]), None);
        // A separator needs a part on both sides.
        assert!(!is_dna(b"ACGT-"));
        assert!(!is_dna(b"-ACGT"));
        assert!(!is_dna(b"AC--GT"));
        assert!(!is_dna(b""));
        assert!(is_dna(b"AC-GTA"));
    }

    #[test]
    fn warnings_name_the_file_the_source_the_reason_and_what_to_do() {
        let mut cfg = (true, *b"RX");
        let d = judge(&umis(&["17", "18"])).unwrap();
        assert_eq!(
            warning(Path::new("cons.bam"), cfg, &d),
            "cons.bam: the read names' last `:`-field (--umi-from-name) holds no UMIs: 2 of 2 values are not DNA letters (e.g. `17`, `18`: read numbers?). A UMI is a short DNA sequence, so these reads are counted without UMIs (as fragments, unless another input has UMIs). Drop --umi-from-name if the UMI is in a tag (--umi-tag, default RX), or give --no-umi to count fragments (a consensus BAM holds one read pair per molecule); consensus reads from fgbio (cD/aD/bD tags) are counted as molecules without any UMI option"
        );
        cfg.0 = false;
        let d = judge(&umis(&["ACG", "ACGTACGT"])).unwrap();
        let w = warning(Path::new("a.bam"), cfg, &d);
        assert!(
            w.starts_with("a.bam: the RX tag may not hold UMIs: their lengths vary from 3 (`ACG`) to 8 (`ACGTACGT`), but the UMIs of one library have one length. They are used as UMIs. Name the tag that holds the UMI with --umi-tag, or give --no-umi"),
            "{w}"
        );
        assert_eq!(
            no_name_field(Path::new("sim.bam"), "t0m1c0"),
            "sim.bam: --umi-from-name, but no read name among its first reads ends in a `:`-field to take a UMI from (e.g. `t0m1c0`): its reads are counted without UMIs (as fragments, unless another input has UMIs). Drop --umi-from-name if the UMI is in a tag (--umi-tag, default RX), or give --no-umi to count fragments (a consensus BAM holds one read pair per molecule); consensus reads from fgbio (cD/aD/bD tags) are counted as molecules without any UMI option"
        );
        let d = judge(&umis(&["ACGT", "ACGT", "AC.T"])).unwrap();
        let w = warning(Path::new("a.bam"), cfg, &d);
        assert!(
            w.starts_with("a.bam: the RX tag holds values that are not UMIs: 1 of 3 values are not DNA letters (e.g. `AC.T`)."),
            "{w}"
        );
    }
}
