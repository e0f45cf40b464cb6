// ctdna call on one sample: the whole panel, or one chunk of it; or, as
// CTDNA_CALL_SERIES, on a patient's timepoints at once (whole panel).
//
// `bams` and `bais` are lists (arity 1..*): one plasma, or a patient's
// series in time order (one VCF column each, named by @RG SM; an allele
// that passes at one timepoint is genotyped at all). BAMs are staged as
// bam1/<bam>, bam2/<bam>, ... with each index beside its BAM.
// Matched normal: `normal`/`normal_bai` are the patient's white-blood-cell
//               BAM and index (`--normal`, staged under normal/), or [] for
//               none: counted like the plasma, written as the last column,
//               its alleles filtered NormalEvidence (docs/filters.md).
//
// Unscattered:  meta.num_intervals is 1 (or absent) and `background` is []:
//               ctdna fits the sample's background model itself.
// One chunk:    meta.interval = I and meta.num_intervals = N (I in 1..N) and
//               `background` is the whole-panel model from CTDNA_BACKGROUND;
//               `--shard I/N` keeps the whole panel's multiple-testing family,
//               so concatenating chunks 1..N gives the unscattered records.
// Report:      a whole-panel run (unscattered, or the series) also writes
//               its HTML report (`--report`, <prefix>.report.html) and
//               ctdna's MultiQC files (`--multiqc mqc`: mqc/<SM>.ctdna_*_mqc.json,
//               named by the BAMs' read-group SM); a chunk writes neither
//               (CTDNA_REPORT makes the scattered sample's after the gather).
// Panel of normals: `pon` is the CTDNA_PON file (`--pon`), or [] for none.
//               With a PoN a chunk still needs the background: the sample's
//               context rates are the prior of the PoN's per-site rates, and
//               `ctdna call --shard` requires `--background`.
process CTDNA_CALL {
    tag "${meta.id}${(meta.num_intervals ?: 1) > 1 ? " ${meta.interval}/${meta.num_intervals}" : ''}"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(bams, arity: '1..*', stageAs: 'bam?/*'), path(bais, arity: '1..*', stageAs: 'bam?/*'), path(normal, stageAs: 'normal/*'), path(normal_bai, stageAs: 'normal/*'), path(background)
    tuple val(meta2), path(fasta)
    tuple val(meta3), path(fai)
    tuple val(meta4), path(targets)
    tuple val(meta5), path(pon)

    output:
    tuple val(meta), path("*.vcf.gz"), emit: vcf
    tuple val(meta), path("*.vcf.gz.tbi"), emit: tbi
    tuple val(meta), path("*.metrics.json"), emit: metrics
    tuple val(meta), path("*.report.html"), emit: report, optional: true
    tuple val(meta), path("mqc/*_mqc.json"), emit: mqc, optional: true
    tuple val("${task.process}"), val('ctdna'), eval("ctdna --version | sed 's/^ctdna //'"), topic: versions, emit: versions_ctdna

    script:
    def args = task.ext.args ?: ''
    def shards = meta.num_intervals ?: 1
    // chunks of one sample need distinct names to be staged together for the gather
    def prefix = task.ext.prefix ?: (shards > 1 ? "${meta.id}.chunk${meta.interval}of${shards}" : "${meta.id}")
    def shard = shards > 1 ? "--shard ${meta.interval}/${shards}" : ''
    def model = background ? "--background ${background}" : ''
    def normals = pon ? "--pon ${pon}" : ''
    def plasma = bams.collect { bam -> "--bam ${bam}" }.join(' ')
    def matched = normal ? "--normal ${normal}" : ''
    def report = shards > 1 ? '' : "--report ${prefix}.report.html --multiqc mqc"
    if (shards > 1 && !background) {
        error("CTDNA_CALL ${meta.id}: chunk ${meta.interval}/${shards} needs the whole panel's background model")
    }
    """
    ctdna call \\
        ${plasma} \\
        ${matched} \\
        --reference ${fasta} \\
        --targets ${targets} \\
        --threads ${task.cpus} \\
        ${shard} \\
        ${model} \\
        ${normals} \\
        ${args} \\
        --output ${prefix}.vcf.gz \\
        --metrics ${prefix}.metrics.json \\
        ${report}
    """

    stub:
    def shards = meta.num_intervals ?: 1
    def prefix = task.ext.prefix ?: (shards > 1 ? "${meta.id}.chunk${meta.interval}of${shards}" : "${meta.id}")
    def report = shards > 1 ? '' : "mkdir mqc && echo '{\"data\": {\"${meta.id}\": {}}}' > mqc/${meta.id}.ctdna_general_mqc.json && touch ${prefix}.report.html"
    """
    printf '##fileformat=VCFv4.3\\n#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\n' | gzip -c > ${prefix}.vcf.gz
    touch ${prefix}.vcf.gz.tbi
    echo '{}' > ${prefix}.metrics.json
    ${report}
    """
}
