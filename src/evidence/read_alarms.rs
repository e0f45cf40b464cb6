//! When the read filters leave a sample with little to count: a filter
//! that drops more than [`DROP_ALARM`] of the reads, or a sample with
//! fewer than [`USED_ALARM`] of its reads used. Each is a warning on
//! stderr and an entry in the metrics (docs/filters.md, "Read filters").

use super::filters::{ReadCounters, Rejection};

/// A judging filter dropping more than this fraction of the reads seen.
pub const DROP_ALARM: f64 = 0.05;
/// Fewer than this fraction of the reads seen used.
pub const USED_ALARM: f64 = 0.01;

/// One alarm about a sample's reads.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReadAlarm {
    /// `filter_drops_many` or `few_reads_used`.
    pub kind: &'static str,
    /// The filter (for `few_reads_used`: the one that dropped the most).
    pub reason: Rejection,
    /// Reads that filter dropped, and their fraction of the reads seen.
    pub reads: u64,
    pub fraction: f64,
    /// What the warning said.
    pub message: String,
}

impl Rejection {
    /// The option that sets or switches this filter, if any.
    pub fn option(self) -> Option<&'static str> {
        match self {
            Rejection::Supplementary => Some("--keep-supplementary"),
            Rejection::Duplicate => Some("--keep-duplicates"),
            Rejection::LowMapq => Some("--min-mapq"),
            Rejection::ImproperPair => Some("--drop-improper"),
            Rejection::TooManyMismatches => Some("--max-mismatch-per-100"),
            Rejection::Unmapped | Rejection::Secondary | Rejection::QcFail => None,
        }
    }

    /// A filter that judges a read's quality (warned about past
    /// [`DROP_ALARM`]). Not the flags a BAM states as facts (unmapped,
    /// secondary, QC fail) nor duplicates: marked copies are dropped by
    /// design and make up most reads of a deep cfDNA library.
    fn judges(self) -> bool {
        matches!(
            self,
            Rejection::Supplementary
                | Rejection::LowMapq
                | Rejection::ImproperPair
                | Rejection::TooManyMismatches
        )
    }

    /// What to check or do when this filter takes most of the reads.
    fn advice(self) -> &'static str {
        match self {
            Rejection::Unmapped => "the reads over the targets are unmapped",
            Rejection::Secondary => "the reads are secondary alignments",
            Rejection::QcFail => "the reads are flagged as failing QC (0x200)",
            Rejection::Supplementary => "the reads are supplementary alignments; --keep-supplementary counts them",
            Rejection::Duplicate => "the reads are marked as duplicates (a consensus BAM whose reads were all marked?); --keep-duplicates counts them",
            Rejection::LowMapq => "lower --min-mapq if this region maps poorly for every read",
            Rejection::ImproperPair => "the BAM has no proper-pair flags (consensus and realigned BAMs often lack them): run without --drop-improper",
            Rejection::TooManyMismatches => "check that --reference is the one the reads were aligned to, or raise --max-mismatch-per-100",
        }
    }

    fn name(self) -> String {
        match self.option() {
            Some(o) => format!("{self:?} ({o})"),
            None => format!("{self:?}"),
        }
    }
}

/// The alarms of one sample's reads, most important first: too few reads
/// used (with the filter that dropped the most), then each judging filter
/// that dropped more than [`DROP_ALARM`].
pub fn read_alarms(c: &ReadCounters) -> Vec<ReadAlarm> {
    if c.seen == 0 {
        return Vec::new();
    }
    let seen = c.seen as f64;
    let alarm = |kind, reason: Rejection, message: String| {
        let reads = c.count(reason);
        ReadAlarm {
            kind,
            reason,
            reads,
            fraction: reads as f64 / seen,
            message,
        }
    };
    let mut out = Vec::new();
    let used = c.used as f64 / seen;
    let dominant = Rejection::ALL
        .into_iter()
        .max_by_key(|&r| (c.count(r), std::cmp::Reverse(r as u8)));
    if let Some(r) = dominant.filter(|_| used < USED_ALARM) {
        out.push(alarm(
            "few_reads_used",
            r,
            format!(
                "only {} of {} reads over the targets were used ({:.2}%); most were dropped as {}: {}",
                c.used,
                c.seen,
                100.0 * used,
                r.name(),
                r.advice()
            ),
        ));
    }
    for r in Rejection::ALL.into_iter().filter(|r| r.judges()) {
        let dropped = c.count(r);
        if dropped as f64 > DROP_ALARM * seen && !out.iter().any(|a| a.reason == r) {
            out.push(alarm(
                "filter_drops_many",
                r,
                format!(
                    "{} dropped {} of {} reads ({:.1}%): {}",
                    r.name(),
                    dropped,
                    c.seen,
                    100.0 * dropped as f64 / seen,
                    r.advice()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_on_a_clean_sample() {
        let c = ReadCounters {
            seen: 1000,
            used: 600,
            duplicate: 350,
            low_mapq: 50,
            ..Default::default()
        };
        // Duplicates are dropped by design; 5% exactly is not more than 5%.
        assert_eq!(read_alarms(&c), vec![]);
        assert_eq!(read_alarms(&ReadCounters::default()), vec![]);
    }

    #[test]
    fn a_judging_filter_over_five_percent_is_named_with_its_option() {
        let c = ReadCounters {
            seen: 1000,
            used: 880,
            too_many_mismatches: 60,
            low_mapq: 60,
            ..Default::default()
        };
        let a = read_alarms(&c);
        let reasons: Vec<Rejection> = a.iter().map(|a| a.reason).collect();
        assert_eq!(reasons, [Rejection::LowMapq, Rejection::TooManyMismatches]);
        assert!(
            a[1].message.contains("--max-mismatch-per-100"),
            "{}",
            a[1].message
        );
        assert!((a[1].fraction - 0.06).abs() < 1e-12);
        assert!(a.iter().all(|a| a.kind == "filter_drops_many"));
    }

    #[test]
    fn few_reads_used_names_the_dominant_reason_once() {
        let c = ReadCounters {
            seen: 1000,
            used: 5,
            improper_pair_dropped: 900,
            duplicate: 95,
            ..Default::default()
        };
        let a = read_alarms(&c);
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(
            (a[0].kind, a[0].reason),
            ("few_reads_used", Rejection::ImproperPair)
        );
        assert!(a[0].message.contains("only 5 of 1000"), "{}", a[0].message);
        assert!(a[0].message.contains("without --drop-improper"));
        // Duplicates dominating: the advice names --keep-duplicates.
        let c = ReadCounters {
            seen: 100,
            used: 0,
            duplicate: 100,
            ..Default::default()
        };
        assert!(read_alarms(&c)[0].message.contains("--keep-duplicates"));
    }
}
