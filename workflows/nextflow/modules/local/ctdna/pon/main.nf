// Build a panel of normals from all normal BAMs at once (`ctdna pon`): one
// job for the whole cohort; its file is passed to every CTDNA_CALL (and
// CTDNA_BACKGROUND) of the run with `--pon`.
//
// Normals are staged as normal1/<bam>, normal2/<bam>, ... with each index in
// the same folder as its BAM, so two normals may share a file name. `bams`
// and `bais` are lists (arity 1..*, at least one normal) in the same order;
// the pipeline builds them from the samplesheet's type=normal rows.
// Read filters and the UMI mode in ext.args must equal the ones the calls
// use: `ctdna call` refuses a PoN built with other filters or of other
// molecules (fragments vs a UMI consensus tier).
process CTDNA_PON {
    tag "${meta.id}"
    label 'process_high'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(bams, arity: '1..*', stageAs: 'normal?/*'), path(bais, arity: '1..*', stageAs: 'normal?/*')
    tuple val(meta2), path(fasta)
    tuple val(meta3), path(fai)
    tuple val(meta4), path(targets)

    output:
    tuple val(meta), path("*.pon.tsv.gz"), emit: pon
    tuple val("${task.process}"), val('ctdna'), eval("ctdna --version | sed 's/^ctdna //'"), topic: versions, emit: versions_ctdna

    script:
    def args = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    // arity '1..*': bams is a list even for one normal
    def normals = bams.collect { bam -> "--bam ${bam}" }.join(' ')
    """
    ctdna pon \\
        ${normals} \\
        --reference ${fasta} \\
        --targets ${targets} \\
        --threads ${task.cpus} \\
        ${args} \\
        --output ${prefix}.pon.tsv.gz
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo '' | gzip -c > ${prefix}.pon.tsv.gz
    """
}
