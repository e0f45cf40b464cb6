// Tumor-informed minimal residual disease (`ctdna mrd`): evidence at the
// patient's known tumor variants is pooled into one tumor fraction estimate
// and a DETECTED / NOT_DETECTED verdict (docs/mrd.md). No panel BED: the
// loci are the tumor VCF's records.
//
// `bams` and `bais` are lists (arity 1..*) in time order: one plasma, or a
// patient's series with `meta.timepoints` (one label per BAM) -- then the
// JSON holds one entry per timepoint and the molecular relapse, the TSV one
// row per timepoint. BAMs are staged as bam1/<bam>, bam2/<bam>, ... with each
// index beside its BAM, so two timepoints may share a file name.
// `normal`/`normal_bai`: the patient's matched normal (white blood cells;
// `--normal`, staged under normal/), or [] for none: tumor loci it carries
// (clonal haematopoiesis, germline) are left out as NormalEvidence.
// `--multiqc mqc`: ctdna's MultiQC file (mqc/<SM>.ctdna_mrd_mqc.json, the
// verdict and tumor fraction as general statistics, named by the read-group SM).
// The container comes from the pipeline's config (--ctdna_container).
process CTDNA_MRD {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"

    input:
    tuple val(meta), path(bams, arity: '1..*', stageAs: 'bam?/*'), path(bais, arity: '1..*', stageAs: 'bam?/*'), path(tumor_variants), path(normal, stageAs: 'normal/*'), path(normal_bai, stageAs: 'normal/*')
    tuple val(meta2), path(fasta)
    tuple val(meta3), path(fai)

    output:
    tuple val(meta), path("*.mrd.json"), emit: json
    tuple val(meta), path("*.mrd.tsv"), emit: tsv
    tuple val(meta), path("*.mrd.vcf.gz"), emit: vcf
    tuple val(meta), path("*.mrd.vcf.gz.tbi"), emit: tbi
    tuple val(meta), path("mqc/*_mqc.json"), emit: mqc
    tuple val("${task.process}"), val('ctdna'), eval("ctdna --version | sed 's/^ctdna //'"), topic: versions, emit: versions_ctdna

    script:
    def args = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    def plasma = bams.collect { bam -> "--bam ${bam}" }.join(' ')
    def timepoints = meta.timepoints ? "--timepoints ${meta.timepoints.join(',')}" : ''
    def matched = normal ? "--normal ${normal}" : ''
    """
    ctdna mrd \\
        ${plasma} ${timepoints} \\
        ${matched} \\
        --reference ${fasta} \\
        --tumor-variants ${tumor_variants} \\
        --threads ${task.cpus} \\
        ${args} \\
        --output ${prefix}.mrd.json \\
        --tsv ${prefix}.mrd.tsv \\
        --vcf ${prefix}.mrd.vcf.gz \\
        --multiqc mqc
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo '{}' > ${prefix}.mrd.json
    touch ${prefix}.mrd.tsv
    printf '##fileformat=VCFv4.3\\n#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\n' | gzip -c > ${prefix}.mrd.vcf.gz
    touch ${prefix}.mrd.vcf.gz.tbi
    mkdir mqc && echo '{"data": {"${meta.id}": {}}}' > mqc/${meta.id}.ctdna_mrd_mqc.json
    """
}
