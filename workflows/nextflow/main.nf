#!/usr/bin/env nextflow
/*
 * ctdna: low-VAF circulating-tumor-DNA calling, scaled out with Nextflow.
 *
 * samplesheet (sample,bam,bai[,type][,tumor_variants][,patient,timepoint]
 *              [,normal,normal_bai])
 *   -> optional panel of normals: `ctdna pon` over all type=normal rows at
 *      once (--build_pon), or a ready-made one (--pon)
 *   -> ctdna call per sample (with --pon when there is one), scattered into
 *      --scatter_count chunks of targets when the panel has more targets
 *      than that, gathered with bcftools concat
 *      (a row naming its patient's matched normal: `--normal` on its calls,
 *      background fit and MRD)
 *   -> optional `ctdna mrd` per sample with a tumor_variants VCF
 *   -> per patient with >= 2 timepoints: one `ctdna call` over the series
 *      (CTDNA_CALL_SERIES), time-ordered, with the patient's normal counted
 *      once: one VCF column per timepoint (+ the normal's)
 *   -> per patient with >= 2 timepoints and a tumor_variants VCF: one
 *      `ctdna mrd` over the series (CTDNA_MRD_SERIES), time-ordered
 *   -> per sample its HTML report (`call --report`, or `ctdna report` after
 *      the gather) and ctdna's MultiQC files (`--multiqc` of the call or
 *      report, and of mrd), renamed to the samplesheet's sample in multiqc/
 *   -> ctdna_metrics_mqc.tsv (one row per sample, MultiQC custom content),
 *      ctdna_mrd_mqc.tsv (one row per MRD sample),
 *      ctdna_mrd_series_mqc.tsv (one row per timepoint of each patient)
 *   -> software_versions.yml (from the `versions` topic)
 *
 * Nextflow is the distributed engine; ctdna stays a single-node binary.
 * See README.md next to this file.
 */

include { CTDNA_PON          } from './modules/local/ctdna/pon/main'
include { CTDNA_MRD          } from './modules/local/ctdna/mrd/main'
include { CTDNA_MRD as CTDNA_MRD_SERIES } from './modules/local/ctdna/mrd/main'
include { CTDNA_CALL as CTDNA_CALL_SERIES } from './modules/local/ctdna/call/main'
include { CTDNA_SCATTER_CALL } from './subworkflows/local/ctdna_scatter_call/main'

workflow {
    main:
    validateParams(params)

    def fasta = file(params.fasta, checkIfExists: true)
    def fai = file(params.fasta_fai ?: "${params.fasta}.fai", checkIfExists: true)
    def targets = file(params.targets, checkIfExists: true)
    def num_targets = countTargets(targets)
    def num_chunks = num_targets > params.scatter_count ? params.scatter_count : 1
    log.info("ctdna: ${num_targets} targets in ${targets.name}; ${num_chunks == 1 ? 'no scatter' : "scatter into ${num_chunks} chunks per sample"}")

    def ch_fasta = channel.value([[id: fasta.baseName], fasta])
    def ch_fai = channel.value([[id: fasta.baseName], fai])
    def ch_targets = channel.value([[id: targets.baseName], targets])

    ch_rows = channel.fromPath(params.input, checkIfExists: true)
        .flatMap { sheet -> readSamplesheet(sheet) }
        .branch { meta, _bam, _bai, _variants, _normal, _normal_bai ->
            normal: meta.type == 'normal'
            sample: true
        }

    // Panel of normals: all normals in one `ctdna pon` job, in sample order
    // (the file lists the normals in input order). Only built (and its
    // operators only created) with --build_pon.
    ch_normals = params.build_pon
        ? ch_rows.normal
            .map { meta, bam, bai, _variants, _normal, _normal_bai -> [meta.id, bam, bai] }
            .toSortedList { a, b -> a[0] <=> b[0] }
            .map { rows ->
                if (!rows) {
                    error("ctdna: --build_pon needs type=normal rows in the samplesheet; there are none")
                }
                [[id: 'normals'], rows.collect { row -> row[1] }, rows.collect { row -> row[2] }]
            }
        : channel.empty()
    CTDNA_PON(ch_normals, ch_fasta, ch_fai, ch_targets)
    ch_pon = params.build_pon
        ? CTDNA_PON.out.pon.first()
        : params.pon
            ? channel.value([[id: file(params.pon).baseName], file(params.pon, checkIfExists: true)])
            : channel.value([[:], []])

    if (!params.build_pon) {
        ch_rows.normal
            .count()
            .filter { n -> n > 0 }
            .subscribe { n -> log.warn("ctdna: ${n} normal row(s) in the samplesheet are not used: add --build_pon to build a panel of normals from them") }
    }

    CTDNA_SCATTER_CALL(
        ch_rows.sample.map { meta, bam, bai, _variants, normal, normal_bai -> [meta, bam, bai, normal, normal_bai] },
        ch_fasta,
        ch_fai,
        ch_targets,
        ch_pon,
        num_chunks,
    )

    // Tumor-informed MRD for the samples that name their tumor's variants.
    CTDNA_MRD(
        ch_rows.sample
            .filter { _meta, _bam, _bai, variants, _normal, _normal_bai -> variants != [] }
            .map { meta, bam, bai, variants, normal, normal_bai -> [meta, [bam], [bai], variants, normal, normal_bai] },
        ch_fasta,
        ch_fai,
    )

    // Per patient with >= 2 timepoints, in time order: [meta, bams, bais,
    // tumor_variants, normal, normal_bai] (one tumor VCF and one normal per
    // patient, checked by readSamplesheet).
    ch_series = ch_rows.sample
        .filter { meta, _bam, _bai, _variants, _normal, _normal_bai -> meta.patient }
        .map { meta, bam, bai, variants, normal, normal_bai -> [meta.patient, [meta, bam, bai, variants, normal, normal_bai]] }
        .groupTuple()
        .map { patient, rows -> seriesTask(patient, rows) }
        .filter { task -> task[1].size() > 1 }

    // The series call: every timepoint genotyped at every allele that passes
    // at one, the normal counted once (whole panel, not scattered).
    CTDNA_CALL_SERIES(
        ch_series.map { meta, bams, bais, _variants, normal, normal_bai -> [meta, bams, bais, normal, normal_bai, []] },
        ch_fasta,
        ch_fai,
        ch_targets,
        ch_pon,
    )

    // The MRD trajectory, for patients with a tumor VCF.
    CTDNA_MRD_SERIES(
        ch_series.filter { _meta, _bams, _bais, variants, _normal, _normal_bai -> variants != [] },
        ch_fasta,
        ch_fai,
    )

    // ctdna's own MultiQC files (general statistics, reads by fate, family
    // sizes, error spectrum, MRD call), renamed from the BAMs' read-group SM
    // to the samplesheet's sample, beside the tables in multiqc/.
    CTDNA_SCATTER_CALL.out.mqc
        .mix(CTDNA_MRD.out.mqc)
        .flatMap { meta, files -> (files instanceof List ? files : [files]).collect { json -> mqcFile(meta, json) } }
        .collectFile(storeDir: "${params.outdir}/multiqc") { item -> item }

    // One file, rows sorted by sample: the same bytes for the same inputs.
    CTDNA_SCATTER_CALL.out.metrics
        .map { meta, json -> metricsRows(meta, json) }
        .toSortedList()
        .map { rows -> ([metricsHeader()] + rows).join('\n') + '\n' }
        .collectFile(name: 'ctdna_metrics_mqc.tsv', storeDir: "${params.outdir}/multiqc")

    // The MRD verdicts, one row per sample with tumor_variants (no file without any).
    CTDNA_MRD.out.json
        .map { meta, json -> mrdRow(meta, json) }
        .toSortedList()
        .filter { rows -> rows.size() > 0 }
        .map { rows -> ([mrdHeader()] + rows).join('\n') + '\n' }
        .collectFile(name: 'ctdna_mrd_mqc.tsv', storeDir: "${params.outdir}/multiqc")

    // The trajectories, one row per timepoint of each patient (no file without any).
    CTDNA_MRD_SERIES.out.json
        .map { meta, json -> mrdSeriesRows(meta, json) }
        .toSortedList()
        .filter { rows -> rows.size() > 0 }
        .map { rows -> ([mrdSeriesHeader()] + rows).join('\n') + '\n' }
        .collectFile(name: 'ctdna_mrd_series_mqc.tsv', storeDir: "${params.outdir}/multiqc")

    channel.topic('versions')
        .map { process, tool, version -> "${process.tokenize(':').last()}:\n  ${tool}: ${version}".toString() }
        .unique()
        .toSortedList()
        .map { entries -> entries.join('\n') + '\n' }
        .collectFile(name: 'software_versions.yml', storeDir: "${params.outdir}/pipeline_info")
}

def validateParams(opts) {
    def missing = ['input', 'fasta', 'targets'].findAll { name -> !opts[name] }
    if (missing) {
        error("ctdna: missing --${missing.join(', --')} (see workflows/nextflow/README.md, or run with -profile test)")
    }
    if (!(opts.scatter_count instanceof Integer) || opts.scatter_count < 1) {
        error("ctdna: --scatter_count must be a whole number >= 1, got '${opts.scatter_count}'")
    }
    if (!(opts.molecules in ['auto', 'umi', 'fragments'])) {
        error("ctdna: --molecules must be auto, umi or fragments, got '${opts.molecules}'")
    }
    def pinned = ['ctdna_args', 'pon_args', 'mrd_args'].find { name -> opts[name] =~ /--(no-umi|min-tier)\b/ }
    if (opts.molecules != 'auto' && pinned) {
        error("ctdna: --molecules ${opts.molecules} pins the molecule mode; drop --no-umi/--min-tier from --${pinned} (or use --molecules auto)")
    }
    if (opts.build_pon && opts.pon) {
        error("ctdna: give --build_pon (build a panel of normals from the samplesheet's normal rows) or --pon FILE (use a ready-made one), not both")
    }
}

// Targets as ctdna counts BED lines: header, track, browser and comment lines skipped.
def countTargets(bed) {
    return bed.readLines().count { line ->
        def t = line.trim()
        t && !t.startsWith('#') && !t.startsWith('track') && !t.startsWith('browser')
    }
}

// One samplesheet row -> [meta, bam, bai, tumor_variants, normal, normal_bai],
// tumor_variants (and normal, normal_bai) being [] when the optional column
// is empty or absent. Relative paths are taken from the samplesheet's
// folder, so a sheet can sit beside its data. Optional `patient` and
// `timepoint` (a number: days, or the visit) put the row in that patient's
// series (meta.patient, meta.timepoint); optional `normal` and `normal_bai`
// name the patient's matched normal (white blood cells) and its index.
def readSamplesheet(sheet) {
    def rows = sheet.splitCsv(header: true, strip: true)
    def seen = [] as Set
    def parsed = rows.withIndex().collect { row, i ->
        def where = "${sheet.name} row ${i + 2}"
        ['sample', 'bam', 'bai'].each { column ->
            if (!row[column]) {
                error("ctdna: ${where}: empty or missing column '${column}' (header must be sample,bam,bai[,type][,tumor_variants][,patient,timepoint][,normal,normal_bai])")
            }
        }
        def type = row.type ?: 'tumor'
        if (!(type in ['tumor', 'normal'])) {
            error("ctdna: ${where}: type must be 'tumor' or 'normal', got '${type}'")
        }
        if (type == 'normal' && row.tumor_variants) {
            error("ctdna: ${where}: a normal row has no tumor variants (tumor_variants is for `ctdna mrd` on plasma samples)")
        }
        if (!seen.add(row.sample)) {
            error("ctdna: ${where}: sample '${row.sample}' appears twice; one BAM per sample")
        }
        def variants = row.tumor_variants ? sheetPath(sheet, row.tumor_variants) : []
        def meta = [id: row.sample, type: type] + seriesMeta(row, type, where)
        [meta, sheetPath(sheet, row.bam), sheetPath(sheet, row.bai), variants] + normalPaths(sheet, row, type, where)
    }
    checkSeries(parsed, sheet.name)
    return parsed
}

// A row's patient and timepoint ([:] when neither is given).
def seriesMeta(row, type, where) {
    if (!row.patient && !row.timepoint) {
        return [:]
    }
    if (!row.patient || !row.timepoint) {
        error("ctdna: ${where}: give both patient and timepoint, or neither")
    }
    if (type == 'normal') {
        error("ctdna: ${where}: a normal row is in no patient's series (patient/timepoint are for plasma samples)")
    }
    if (!row.timepoint.isBigDecimal()) {
        error("ctdna: ${where}: timepoint must be a number (days, or the visit number) that orders the series, got '${row.timepoint}'")
    }
    if (row.sample =~ /[,\s]/) {
        error("ctdna: ${where}: sample '${row.sample}' of a series names a timepoint of `ctdna mrd --timepoints`: no commas or spaces")
    }
    return [patient: row.patient, timepoint: row.timepoint.toBigDecimal()]
}

// A row's matched normal: [normal, normal_bai], or [[], []] when neither is given.
def normalPaths(sheet, row, type, where) {
    if (!row.normal && !row.normal_bai) {
        return [[], []]
    }
    if (!row.normal || !row.normal_bai) {
        error("ctdna: ${where}: give both normal and normal_bai, or neither")
    }
    if (type == 'normal') {
        error("ctdna: ${where}: a normal row has no matched normal (normal is the plasma's white-blood-cell BAM)")
    }
    return [sheetPath(sheet, row.normal), sheetPath(sheet, row.normal_bai)]
}

// Per patient: distinct timepoints, one tumor VCF (or none) and one matched
// normal (or none) for all its rows.
def checkSeries(rows, sheetName) {
    def numbered = rows.withIndex().collect { row, i -> row + [i + 2] }
    numbered.findAll { row -> row[0].patient }.groupBy { row -> row[0].patient }.each { patient, series ->
        if (series.collect { row -> row[4] }.unique(false).size() > 1) {
            def listed = series.collect { row -> "${row[0].id} (row ${row[6]}): ${row[4] ?: 'none'}" }.join('; ')
            error("ctdna: ${sheetName}: patient '${patient}': rows name different matched normals (${listed}); give every timepoint the patient's one normal")
        }
        def times = series.collect { row -> row[0].timepoint }
        if (times.unique(false).size() != times.size()) {
            error("ctdna: ${sheetName}: patient '${patient}' has two rows with one timepoint")
        }
        if (series.collect { row -> row[3] }.unique(false).size() > 1) {
            error("ctdna: ${sheetName}: patient '${patient}' names different tumor_variants; give every timepoint the patient's one tumor VCF")
        }
    }
}

// One patient's rows ([meta, bam, bai, tumor_variants, normal, normal_bai]
// each) -> the series task: [meta (id = patient, timepoints = sample ids in
// time order), bams, bais, tumor_variants, normal, normal_bai].
def seriesTask(patient, rows) {
    def ordered = rows.sort(false) { row -> row[0].timepoint }
    def meta = [id: patient, timepoints: ordered.collect { row -> row[0].id }]
    return [meta, ordered.collect { row -> row[1] }, ordered.collect { row -> row[2] }] + ordered[0][3..5]
}

def sheetPath(sheet, String p) {
    def absolute = p.startsWith('/') || p.contains('://')
    return file(absolute ? p : sheet.parent.resolve(p).toString(), checkIfExists: true)
}

def metricsHeader() {
    return [
        "# id: 'ctdna'",
        "# section_name: 'ctdna call'",
        "# description: 'Per-sample metrics of ctdna call over the whole panel (from --metrics JSON).'",
        "# plot_type: 'table'",
        ['Sample', 'reads_seen', 'reads_used', 'overlap_fraction', 'depth_mean', 'depth_min',
         'pct_depth_ge_500', 'pct_depth_ge_1000', 'lod_median', 'lod_p90',
         'records', 'pass', 'pass_snv', 'pass_indel'].join('\t'),
    ].join('\n')
}

// One TSV line per sample in a ctdna metrics JSON. Rows are named by the
// samplesheet (meta.id), not by the BAM's read-group SM that ctdna reports:
// two samplesheet rows may share an SM, and MultiQC merges equal names.
def metricsRows(meta, json) {
    def m = new groovy.json.JsonSlurper().parseText(json.text)
    def calls = m.calls ?: [:]
    def samples = m.samples ?: [[name: meta.id]]
    return samples.collect { s ->
        [samples.size() == 1 ? meta.id : "${meta.id}_${s.name}", s.reads?.seen, s.reads?.used, s.overlap_fraction, s.depth?.mean, s.depth?.min,
         s.depth?.pct_ge_500, s.depth?.pct_ge_1000, s.lod_median, s.lod_p90,
         calls.records, calls.pass, calls.pass_snv, calls.pass_indel].collect { v -> v == null ? 'NA' : v }.join('\t')
    }.join('\n')
}

def mrdHeader() {
    return [
        "# id: 'ctdna_mrd'",
        "# section_name: 'ctdna mrd'",
        "# description: 'Tumor-informed MRD per sample (ctdna mrd JSON): verdict, tumor fraction with its 95% interval, limit of detection.'",
        "# plot_type: 'table'",
        ['Sample', 'call', 'tumor_fraction', 'ci95_low', 'ci95_high', 'p_value', 'limit_of_detection',
         'loci_total', 'loci_used', 'molecules', 'alt_molecules'].join('\t'),
    ].join('\n')
}

def mrdSeriesHeader() {
    return [
        "# id: 'ctdna_mrd_series'",
        "# section_name: 'ctdna mrd series'",
        "# description: 'MRD trajectory per patient (ctdna mrd over its timepoints): per timepoint the verdict, tumor fraction with its 95% interval and LoD; relapse marks the first DETECTED after a NOT_DETECTED.'",
        "# plot_type: 'table'",
        ['Sample', 'patient', 'index', 'call', 'tumor_fraction', 'ci95_low', 'ci95_high',
         'limit_of_detection', 'relapse'].join('\t'),
    ].join('\n')
}

// The TSV lines of a patient's series JSON, one per timepoint (named by the
// samplesheet's sample); one NA row for a stub.
def mrdSeriesRows(meta, json) {
    def m = new groovy.json.JsonSlurper().parseText(json.text)
    def points = m.timepoints ?: [[timepoint: meta.id]]
    return points.collect { t ->
        def ci = t.ci95 ?: [null, null]
        [t.timepoint, meta.id, t.index, t.call, t.tumor_fraction, ci[0], ci[1],
         t.limit_of_detection, t.relapse].collect { v -> v == null ? 'NA' : v }.join('\t')
    }.join('\n')
}

// ctdna's MultiQC file `<SM>.ctdna_<part>_mqc.json` (its rows named by the
// BAMs' read-group SMs) as [file name, JSON text] for meta.id: two
// samplesheet rows may share an SM and MultiQC merges equal names, so the
// plasma's row (the one the file is named after) and the file become
// meta.id, a matched normal's row `<meta.id>_normal`; the rest is kept. As
// the Snakemake twin (scripts/multiqc_files.py).
def mqcFile(meta, json) {
    def name = json.name
    def at = name.lastIndexOf('.ctdna_')
    def stem = at > 0 ? name.substring(0, at) : ''
    def content = new groovy.json.JsonSlurper().parseText(json.text)
    def data = content instanceof Map && content.data instanceof Map ? content.data : [:]
    def plasma = data.keySet().findAll { key -> fileStem(key) == stem }
    if (plasma.size() != 1 || data.size() > 2) {
        error("ctdna: ${name}: want the plasma's row (${stem}) and at most a normal's, got ${data.keySet()}")
    }
    content.data = data.collectEntries { key, row -> [(key in plasma ? meta.id : "${meta.id}_normal").toString(), row] }
    def text = groovy.json.JsonOutput.prettyPrint(groovy.json.JsonOutput.toJson(content))
    return ["${meta.id}.${name.substring(at + 1)}".toString(), text + '\n']
}

// A sample name as ctdna makes it file-safe (src/output/report/multiqc.rs).
def fileStem(String name) {
    def stem = name.replaceAll(/[^A-Za-z0-9._-]/, '_')
    return !stem || stem.startsWith('.') ? "sample${stem}".toString() : stem
}

// One TSV line for a sample's ctdna mrd JSON, named by the samplesheet.
def mrdRow(meta, json) {
    def m = new groovy.json.JsonSlurper().parseText(json.text)
    def ci = m.ci95 ?: [null, null]
    return [meta.id, m.call, m.tumor_fraction, ci[0], ci[1], m.p_value, m.limit_of_detection,
            m.loci?.total, m.loci?.used, m.molecules, m.alt_molecules].collect { v -> v == null ? 'NA' : v }.join('\t')
}
