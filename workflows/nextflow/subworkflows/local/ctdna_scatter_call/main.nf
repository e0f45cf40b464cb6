// Call every sample over the panel, scattered into `num_chunks` chunks of
// targets when num_chunks > 1 (sarek style: the chunk count travels in
// meta.num_intervals, and groupKey tells groupTuple how many chunks to wait
// for, so a sample's gather starts as soon as its own chunks are done).
//
// Scattering never changes a record: each sample's background model is
// fitted once on the whole panel (CTDNA_BACKGROUND) and every chunk tests
// against it with the whole panel's multiple-testing family (--shard I/N).
//
// With a panel of normals (ch_pon = [meta, pon], else [[:], []]) every call
// and background fit gets `--pon`; the background pass stays: `--shard`
// requires `--background`, and the sample's context rates are the prior of
// the PoN's per-site rates, so chunks need the whole panel's fit.
//
// With the sample's matched normal (normal/normal_bai, else [] each) every
// call and background fit gets `--normal`: the saved model holds the
// normal's rates as well, and ctdna checks it against each chunk's samples.
//
// Each sample's HTML report and ctdna's MultiQC files: written by the
// unscattered CTDNA_CALL (--report, --multiqc), or, scattered, by
// CTDNA_REPORT (`ctdna report`) from the background fit's whole-panel
// metrics and the gathered VCF, which holds the unscattered call's records.
//
// One dataflow for both cases: with num_chunks == 1 the scatter channels are
// empty and CTDNA_BACKGROUND / BCFTOOLS_CONCAT / CTDNA_REPORT never run.

include { CTDNA_BACKGROUND } from '../../../modules/local/ctdna/background/main'
include { CTDNA_CALL       } from '../../../modules/local/ctdna/call/main'
include { BCFTOOLS_CONCAT  } from '../../../modules/local/bcftools/concat/main'
include { CTDNA_REPORT     } from '../../../modules/local/ctdna/report/main'

workflow CTDNA_SCATTER_CALL {
    take:
    ch_bams      // channel: [ val(meta), path(bam), path(bai), path(normal), path(normal_bai) ], the normal [] [] for none
    ch_fasta     // value:   [ val(meta), path(fasta) ]
    ch_fai       // value:   [ val(meta), path(fai) ]
    ch_targets   // value:   [ val(meta), path(bed) ]
    ch_pon       // value:   [ val(meta), path(pon) ], or [ [:], [] ] for none
    num_chunks   // integer: 1 = no scatter

    main:
    ch_to_scatter = num_chunks > 1 ? ch_bams : channel.empty()
    ch_to_call_whole = num_chunks > 1 ? channel.empty() : ch_bams

    CTDNA_BACKGROUND(ch_to_scatter, ch_fasta, ch_fai, ch_targets, ch_pon)

    ch_chunks = ch_to_scatter
        .join(CTDNA_BACKGROUND.out.background, failOnMismatch: true)
        .combine(channel.of(1..num_chunks))
        .map { meta, bam, bai, normal, normal_bai, background, i ->
            [meta + [interval: i, num_intervals: num_chunks], [bam], [bai], normal, normal_bai, background]
        }
    ch_whole = ch_to_call_whole
        .map { meta, bam, bai, normal, normal_bai -> [meta + [num_intervals: 1], [bam], [bai], normal, normal_bai, []] }

    CTDNA_CALL(ch_whole.mix(ch_chunks), ch_fasta, ch_fai, ch_targets, ch_pon)

    ch_calls = CTDNA_CALL.out.vcf
        .join(CTDNA_CALL.out.tbi, failOnMismatch: true)
        .branch { meta, _vcf, _tbi ->
            chunk: meta.num_intervals > 1
            whole: true
        }

    ch_gather = ch_calls.chunk
        .map { meta, vcf, tbi ->
            def sample = meta - meta.subMap(['interval'])
            [groupKey(sample, meta.num_intervals), [meta.interval, vcf, tbi]]
        }
        .groupTuple()
        .map { key, chunks ->
            // bcftools concat needs chunks in panel order, 1..N
            def ordered = chunks.sort { chunk -> chunk[0] }
            [key.getGroupTarget(), ordered.collect { chunk -> chunk[1] }, ordered.collect { chunk -> chunk[2] }]
        }
    BCFTOOLS_CONCAT(ch_gather)

    // the gathered VCF with the whole panel's metrics, matched by sample id
    ch_to_report = BCFTOOLS_CONCAT.out.vcf
        .map { meta, vcf -> [meta.id, meta, vcf] }
        .join(CTDNA_BACKGROUND.out.metrics.map { meta, json -> [meta.id, json] }, failOnMismatch: true)
        .map { _id, meta, vcf, json -> [meta, json, vcf] }
    CTDNA_REPORT(ch_to_report, ch_pon)

    emit:
    // channel: [ val(meta), path(vcf.gz) ], one per sample
    vcf     = ch_calls.whole.map { meta, vcf, _tbi -> [meta, vcf] }.mix(BCFTOOLS_CONCAT.out.vcf)
    // channel: [ val(meta), path(vcf.gz.tbi) ], one per sample
    tbi     = ch_calls.whole.map { meta, _vcf, tbi -> [meta, tbi] }.mix(BCFTOOLS_CONCAT.out.tbi)
    // channel: [ val(meta), path(metrics.json) ], whole panel, one per sample
    metrics = CTDNA_CALL.out.metrics
        .filter { meta, _json -> meta.num_intervals == 1 }
        .mix(CTDNA_BACKGROUND.out.metrics)
    // channel: [ val(meta), path(report.html) ], one per sample
    report  = CTDNA_CALL.out.report.mix(CTDNA_REPORT.out.report)
    // channel: [ val(meta), path(_mqc.json) or [path, ...] ], one per sample,
    // named by the BAMs' read-group SM (main.nf renames them to meta.id)
    mqc     = CTDNA_CALL.out.mqc.mix(CTDNA_REPORT.out.mqc)
}
