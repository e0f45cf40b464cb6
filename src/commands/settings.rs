//! Parsed arguments → the plain settings of each stage.
//!
//! The clap structs of [`crate::cli`] stop here: every stage gets its own
//! settings type (`ReadFilter`, `UmiOptions`, `Thresholds`, `SimParams`,
//! `mrd::ModelOptions`, `BuildParams`) and checks its values itself, so
//! nothing below `commands/` knows the command line. The mapping is field
//! by field and nothing else. `--threads` belongs to no stage, so its one
//! rule lives here, for every command.

use crate::calling::filters::Thresholds;
use crate::cli::{
    CallingArgs, FilterArgs, MrdModelArgs, OverlapArg, PonArgs, SimulateArgs, TierArg, UmiArgs,
};
use crate::evidence::umi::{Tier, UmiOptions};
use crate::evidence::{OverlapPolicy, ReadFilter};
use crate::model::pon::BuildParams;
use crate::mrd::ModelOptions;
use crate::simulate::params::SimParams;
use crate::{Error, Result};

impl From<OverlapArg> for OverlapPolicy {
    fn from(a: OverlapArg) -> Self {
        match a {
            OverlapArg::Merge => OverlapPolicy::Merge,
            OverlapArg::Independent => OverlapPolicy::Independent,
        }
    }
}

impl From<TierArg> for Tier {
    fn from(a: TierArg) -> Self {
        match a {
            TierArg::Raw => Tier::Raw,
            TierArg::Single => Tier::Single,
            TierArg::Duplex => Tier::Duplex,
        }
    }
}

/// The read filter of `--min-mapq` ... `--overlap`, checked.
pub fn read_filter(a: &FilterArgs) -> Result<ReadFilter> {
    let f = ReadFilter {
        min_mapq: a.min_mapq,
        min_bq: a.min_bq,
        keep_duplicates: a.keep_duplicates,
        keep_supplementary: a.keep_supplementary,
        drop_improper: a.drop_improper,
        max_mismatch_per_100: a.max_mismatch_per_100,
        min_dist_end: a.min_dist_end,
        overlap: a.overlap.into(),
        mnv_window: a.mnv_window,
    };
    f.validate()?;
    Ok(f)
}

/// The UMI options as given; [`crate::evidence::umi::resolve`] checks them.
pub fn umi_options(a: &UmiArgs) -> UmiOptions {
    UmiOptions {
        tag: a.umi_tag.clone(),
        no_umi: a.no_umi,
        from_name: a.umi_from_name,
        min_family: a.min_family,
        min_agreement: a.min_agreement,
        min_tier: a.min_tier.map(Tier::from),
    }
}

/// The test and FILTER thresholds of `call`, checked.
pub fn thresholds(a: &CallingArgs) -> Result<Thresholds> {
    let t = Thresholds {
        fp_per_panel: a.fp_per_panel,
        known_fp: a.known_fp,
        min_alt: a.min_alt,
        min_alt_known: a.min_alt_known,
        max_strand_bias: a.max_strand_bias,
        max_orientation_bias: a.max_orientation_bias,
        one_strand_site: a.one_strand_site,
        min_alt_dist_end: a.min_alt_dist_end,
        max_alt_mapq_drop: a.max_alt_mapq_drop,
        min_alt_mapq: a.min_alt_mapq,
        germline_vaf: a.germline_vaf,
        homopolymer_len: a.homopolymer_len,
        homopolymer_fold: a.homopolymer_fold,
        noisy_rate: a.noisy_rate,
        noisy_normals: a.noisy_normals,
        noisy_fold: a.noisy_fold,
        normal_alpha: a.normal_alpha,
        normal_vaf_fraction: a.normal_vaf_fraction,
        joint_alpha: a.joint.then_some(a.joint_alpha),
    };
    t.validate()?;
    Ok(t)
}

/// The model options of `mrd` as given; [`ModelOptions::settings`] checks them.
pub fn mrd_model(a: &MrdModelArgs) -> ModelOptions {
    ModelOptions {
        alpha: a.alpha,
        min_depth: a.min_depth,
        background_pad: a.background_pad,
        outlier_alpha: a.outlier_alpha,
        normal_alpha: a.normal_alpha,
        tumor_purity: a.tumor_purity,
        lod_replicates: a.lod_replicates,
    }
}

/// The PoN building rules of `pon`, checked.
pub fn pon_build(a: &PonArgs) -> Result<BuildParams> {
    let b = BuildParams {
        germline_vaf: a.germline_vaf,
        carrier_min_alt: a.carrier_min_alt,
    };
    b.validate()?;
    Ok(b)
}

/// Every simulation knob of `simulate`, checked.
pub fn sim_params(a: &SimulateArgs) -> Result<SimParams> {
    let p = SimParams {
        seed: a.seed,
        contigs: a.contigs,
        contig_len: a.contig_len,
        gc: a.gc,
        dup_segments: a.dup_segments,
        dup_len: a.dup_len,
        dup_divergence: a.dup_divergence,
        targets: a.targets,
        target_min_len: a.target_min_len,
        target_max_len: a.target_max_len,
        paralog_targets: a.paralog_targets,
        vafs: a.vaf.clone(),
        tumor_fraction: a.tumor_fraction,
        series_tf: a.series_tf.clone(),
        subclone_variants: a.subclone_variants,
        subclone_from: a.subclone_from.unwrap_or(0),
        subclone_vaf: a.subclone_vaf,
        subclone_ramp: a.subclone_ramp.clone(),
        snvs_per_vaf: a.snvs_per_vaf,
        indels_per_vaf: a.indels_per_vaf,
        mnvs_per_vaf: a.mnvs_per_vaf,
        long_indels_per_vaf: a.long_indels_per_vaf,
        delins_per_vaf: a.delins_per_vaf,
        chip_per_vaf: a.chip_per_vaf,
        chip_vafs: a.chip_vaf.clone(),
        matched_normal_depth: a.matched_normal_depth,
        germline_snvs: a.germline_snvs,
        germline_indels: a.germline_indels,
        depth: a.depth,
        family_size: a.family_size,
        family_dispersion: a.family_dispersion,
        umi_len: a.umi_len,
        duplex: a.duplex,
        mark_duplicates: a.mark_duplicates,
        frag_mode: a.frag_mode,
        frag_sd: a.frag_sd,
        dinucleosome_fraction: a.dinucleosome_fraction,
        frag_min: a.frag_min,
        frag_max: a.frag_max,
        normals: a.normals,
        bam_compression: a.bam_compression,
        sample_name: a.sample_name.clone(),
        read_len: a.read_len,
        pcr_error_rate: a.pcr_error_rate,
        oxog_rate: a.oxog_rate,
        hp_indel_rate: a.hp_indel_rate,
        umi_error_rate: a.umi_error_rate,
        mismap_rate: a.mismap_rate,
        artifact_sites: a.artifact_sites,
        no_seq_errors: a.no_seq_errors,
    };
    p.validate()?;
    Ok(p)
}

/// `--threads` of the commands that count reads (`call`, `count`, `mrd`,
/// `pon`): at least 1; not given means one per core.
pub fn threads(n: Option<usize>) -> Result<usize> {
    let n = at_least_one_thread(n, "")?;
    Ok(n.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())))
}

/// `--threads` of `simulate`: the same rule, its message opening with the
/// command's name like simulate's other messages. Not given stays `None`:
/// simulate leaves the pool size to rayon (`RAYON_NUM_THREADS`, else one
/// per core), as it always has.
pub fn simulate_threads(n: Option<usize>) -> Result<Option<usize>> {
    at_least_one_thread(n, "ctdna simulate: ")
}

/// The one `--threads` rule, written once: no pool of zero workers.
fn at_least_one_thread(n: Option<usize>, prefix: &str) -> Result<Option<usize>> {
    if n == Some(0) {
        return Err(Error::Usage(format!(
            "{prefix}--threads must be at least 1"
        )));
    }
    Ok(n)
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
