// Gather: concatenate one sample's chunk VCFs in the order given (chunks
// 1..N; the caller sorts them) and index the result. The chunks' names
// must differ from <prefix>.vcf.gz (CTDNA_CALL names them <id>.chunkIofN).
process BCFTOOLS_CONCAT {
    tag "${meta.id}"
    label 'process_low'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(vcfs), path(tbis)

    output:
    tuple val(meta), path("*.vcf.gz"), emit: vcf
    tuple val(meta), path("*.vcf.gz.tbi"), emit: tbi
    tuple val("${task.process}"), val('bcftools'), eval("bcftools --version | sed '1!d; s/^bcftools //'"), topic: versions, emit: versions_bcftools

    script:
    def args = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    bcftools concat \\
        ${args} \\
        --threads ${task.cpus} \\
        --output-type z \\
        --output ${prefix}.vcf.gz \\
        ${vcfs}
    bcftools index --tbi ${prefix}.vcf.gz
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    printf '##fileformat=VCFv4.3\\n#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\n' | gzip -c > ${prefix}.vcf.gz
    touch ${prefix}.vcf.gz.tbi
    """
}
