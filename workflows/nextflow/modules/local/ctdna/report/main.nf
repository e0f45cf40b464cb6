// The HTML report of a finished run (`ctdna report`): the page `ctdna call
// --report` writes, made from the run's metrics JSON and VCF; used for a
// scattered sample after the gather, with the background fit's metrics
// (whole panel) and the gathered VCF (the unscattered call's records).
// `--multiqc mqc` also writes ctdna's MultiQC files (mqc/<SM>.ctdna_*_mqc.json,
// named by the read-group SM), as `call --multiqc` would.
// Panel of normals: `pon` is the run's CTDNA_PON file (`--pon`: its pooled
// rates drawn beside the sample's), or [] for none.
// The container comes from the pipeline's config (--ctdna_container).
process CTDNA_REPORT {
    tag "${meta.id}"
    label 'process_single'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(metrics), path(vcf)
    tuple val(meta2), path(pon)

    output:
    tuple val(meta), path("*.report.html"), emit: report
    tuple val(meta), path("mqc/*_mqc.json"), emit: mqc
    tuple val("${task.process}"), val('ctdna'), eval("ctdna --version | sed 's/^ctdna //'"), topic: versions, emit: versions_ctdna

    script:
    def args = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    def normals = pon ? "--pon ${pon}" : ''
    """
    ctdna report \\
        --metrics ${metrics} \\
        --vcf ${vcf} \\
        ${normals} \\
        ${args} \\
        --output ${prefix}.report.html \\
        --multiqc mqc
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.report.html
    mkdir mqc && echo '{"data": {"${meta.id}": {}}}' > mqc/${meta.id}.ctdna_general_mqc.json
    """
}
