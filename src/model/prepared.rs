//! A sample's context rates prepared for many queries: each SNV class's
//! rates worked out once per fit instead of once per query.
//!
//! An SNV null ([`ContextRates::null`]) sums every context's tally of the
//! kind five times (the kind's overall rate, and each molecule class's); at
//! 30x `--metrics` asks for three of them at every target position (the
//! LoD's null) and most of the LoD pass went there. [`PreparedRates`] holds
//! the 96 classes' results, so an SNV null is a lookup and the floor of its
//! base qualities; the values are the same bits (the same functions of the
//! same tallies). Indels, MNVs and long indels, whose query may leave the
//! site's own contribution out, are asked of the rates as before.

use super::context::{ContextRates, Kind};
use super::weighted::ClassRates;
use super::{floor_of, tally_of, Background, Null, RateQuery};
use crate::evidence::alleles::{Alt, MoleculeClass};

/// The SNV context classes.
const SNV_CLASSES: usize = 96;

/// [`ContextRates`] with every SNV class's null rates (per molecule class,
/// before the base-quality floor) and pooled rate computed once.
pub struct PreparedRates<'a> {
    rates: &'a ContextRates,
    /// Per SNV class: [`ContextRates::class_rates`].
    snv: Vec<ClassRates>,
    /// Per SNV class: [`ContextRates::kind_rate`] (every molecule pooled).
    snv_pooled: Vec<f64>,
    /// Per molecule class: [`ContextRates::class_dispersion`].
    dispersion: ClassRates,
}

impl<'a> PreparedRates<'a> {
    /// Work out the SNV classes of `rates`.
    pub fn new(rates: &'a ContextRates) -> Self {
        PreparedRates {
            rates,
            snv: (0..SNV_CLASSES)
                .map(|i| rates.class_rates(Kind::Snv, i))
                .collect(),
            snv_pooled: (0..SNV_CLASSES)
                .map(|i| rates.kind_rate(Kind::Snv, i))
                .collect(),
            dispersion: MoleculeClass::ALL.map(|c| rates.class_dispersion(c)),
        }
    }

    /// [`ContextRates::pooled_rate`].
    pub fn pooled_rate(&self, q: &RateQuery) -> f64 {
        match (q.allele, tally_of(q)) {
            (Alt::Snv(_), Some((Kind::Snv, i))) => self.snv_pooled[i].max(floor_of(q)),
            _ => self.rates.pooled_rate(q),
        }
    }
}

/// The same nulls as [`ContextRates`]' (its METHOD).
impl Background for PreparedRates<'_> {
    fn null(&self, q: &RateQuery) -> Null {
        let (Alt::Snv(_), Some((Kind::Snv, i))) = (q.allele, tally_of(q)) else {
            return self.rates.null(q);
        };
        let mut rates = self.snv[i];
        let read = &mut rates[MoleculeClass::Read.index()];
        *read = read.max(floor_of(q));
        Null {
            rates,
            dispersion: self.dispersion,
            concentration: None,
            noisy: None,
        }
    }

    fn substitution_rates(&self) -> ClassRates {
        self.rates.substitution_rates()
    }

    fn name(&self) -> &'static str {
        self.rates.name()
    }

    fn measures_sites(&self) -> bool {
        self.rates.measures_sites()
    }

    fn describe(&self) -> String {
        self.rates.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::alleles::Indel;
    use crate::model::tally::Tally;

    /// Rates with every tally different, so a wrong class or a sum taken
    /// over the wrong tallies shows.
    fn uneven() -> ContextRates {
        let mut r = ContextRates::empty();
        let fill = |t: &mut [Tally], seed: u64| {
            for (j, x) in t.iter_mut().enumerate() {
                let j = j as u64 + seed;
                x.add((j * 7) % 13, 10_000 + j * 977);
            }
        };
        fill(&mut r.pooled.snv, 1);
        fill(&mut r.pooled.ins, 2);
        fill(&mut r.pooled.del, 3);
        for (k, t) in r.by_class.iter_mut().enumerate() {
            fill(&mut t.snv, 5 + k as u64);
            fill(&mut t.ins, 9 + k as u64);
        }
        r.dispersion = vec![1.1, 1.3, 1.0, 2.0];
        r
    }

    #[test]
    fn prepared_nulls_are_the_rates_own() {
        let rates = uneven();
        let prepared = PreparedRates::new(&rates);
        let alts = [
            Alt::Snv(0),
            Alt::Snv(2),
            Alt::Snv(3),
            Alt::Indel(Indel::Del(1)),
        ];
        let contexts = [*b"ACG", *b"TTA", *b"GCA", *b"CGT", *b"ANA"];
        for (ctx, alt, bq) in contexts
            .iter()
            .flat_map(|c| alts.iter().map(move |a| (c, a)))
            .flat_map(|(c, a)| [12.0, 25.0, 41.0].map(|bq| (c, a, bq)))
        {
            let q = RateQuery {
                context: *ctx,
                allele: alt,
                homopolymer: 2,
                mean_bq: bq,
                site: (0, 10),
                own: None,
            };
            assert_eq!(prepared.null(&q), rates.null(&q), "{ctx:?} {alt:?} {bq}");
            let (p, r) = (prepared.pooled_rate(&q), rates.pooled_rate(&q));
            assert_eq!(p.to_bits(), r.to_bits(), "{ctx:?} {alt:?} {bq}");
        }
        assert_eq!(prepared.name(), rates.name());
        assert_eq!(prepared.substitution_rates(), rates.substitution_rates());
    }
}
