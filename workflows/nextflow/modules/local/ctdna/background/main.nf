// Fit one sample's background error model on the whole panel, for the
// scattered CTDNA_CALL chunks (`ctdna call --write-background`).
//
// ctdna call always writes a VCF; this job sends it to stdout and drops it
// (the gathered chunks reproduce its records exactly), keeping the model and
// the whole-panel metrics, which are the sample's metrics in the final table.
// Not `--output /dev/null`: ctdna writes beside the target and renames.
// With a panel of normals (`pon`, else []) the metrics count the PoN calls,
// as the gathered chunks do; the saved model does not depend on the PoN.
// With the sample's matched normal (`normal`/`normal_bai`, else []) the
// model holds the normal's rates too: the chunks run with `--normal`, and
// ctdna checks that the saved model's samples are the chunk's.
process CTDNA_BACKGROUND {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(bam), path(bai), path(normal, stageAs: 'normal/*'), path(normal_bai, stageAs: 'normal/*')
    tuple val(meta2), path(fasta)
    tuple val(meta3), path(fai)
    tuple val(meta4), path(targets)
    tuple val(meta5), path(pon)

    output:
    tuple val(meta), path("*.background.json"), emit: background
    tuple val(meta), path("*.metrics.json"), emit: metrics
    tuple val("${task.process}"), val('ctdna'), eval("ctdna --version | sed 's/^ctdna //'"), topic: versions, emit: versions_ctdna

    script:
    def args = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    def normals = pon ? "--pon ${pon}" : ''
    def matched = normal ? "--normal ${normal}" : ''
    """
    ctdna call \\
        --bam ${bam} \\
        ${matched} \\
        --reference ${fasta} \\
        --targets ${targets} \\
        --threads ${task.cpus} \\
        ${normals} \\
        ${args} \\
        --metrics ${prefix}.metrics.json \\
        --write-background ${prefix}.background.json \\
        --output - > /dev/null
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo '{}' > ${prefix}.background.json
    echo '{}' > ${prefix}.metrics.json
    """
}
