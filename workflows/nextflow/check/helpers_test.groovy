// Unit tests for the Groovy helper functions at the end of main.nf
// (samplesheet parsing, target counting, the metrics table), run with the
// plain Groovy runtime that ships inside the language-server jar:
//
//     java -cp language-server-all.jar groovy.ui.GroovyMain check/helpers_test.groovy main.nf test-data/
//
// Nextflow's runtime is not there, so the few Nextflow functions the helpers
// call (file, error, Path.splitCsv/readLines/text/name) are stood in for by
// small shims below that behave like Nextflow's for these inputs. The
// helpers themselves are taken verbatim from main.nf.
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths

ExpandoMetaClass.enableGlobally()
Path.metaClass.getName = { -> delegate.fileName.toString() }
Path.metaClass.getText = { -> new String(Files.readAllBytes(delegate), 'UTF-8') }
Path.metaClass.readLines = { -> Files.readAllLines(delegate) }
Path.metaClass.splitCsv = { Map opts ->
    def lines = Files.readAllLines(delegate).findAll { line -> line.trim() }
    def header = lines[0].split(',', -1)*.trim()
    lines.drop(1).collect { line ->
        def values = line.split(',', -1)*.trim()
        [header, values].transpose().collectEntries()
    }
}

def mainNf = new File(args[0]).text
def testData = new File(args[1]).canonicalPath
def helpers = mainNf.substring(mainNf.indexOf('\ndef ') + 1)
def shims = '''
def file(Map opts = [:], String path) {
    def p = java.nio.file.Paths.get(path).normalize()
    if (opts.checkIfExists && !java.nio.file.Files.exists(p)) {
        throw new IllegalArgumentException("file not found: ${path}")
    }
    return p
}
def error(String message) { throw new IllegalStateException(message) }
'''
def script = new GroovyShell().parse(shims + helpers)

int passed = 0
int failed = 0
def check = { String name, Closure body ->
    try {
        body()
        println "ok   ${name}"
        passed++
    } catch (Throwable e) {
        println "FAIL ${name}: ${e.class.simpleName}: ${e.message}"
        failed++
    }
}
def refuses = { Closure body, String expected ->
    try {
        body()
    } catch (IllegalStateException e) {
        assert e.message.contains(expected), "message '${e.message}' lacks '${expected}'"
        return
    }
    assert false, "no error (wanted one containing '${expected}')"
}
def tmp = Files.createTempDirectory('nf-helpers')
def sheet = { String name, String text ->
    def p = tmp.resolve(name)
    Files.write(p, text.getBytes('UTF-8'))
    return p
}

check('countTargets skips header, track, browser and comment lines') {
    def bed = sheet('panel.bed', 'track name=x\nbrowser position chr1\n#c\nchr1\t0\t10\n\nchr1\t20\t30\tt2\n')
    assert script.countTargets(bed) == 2
    assert script.countTargets(Paths.get(testData, 'targets.bed')) == 12
}

check('readSamplesheet: relative paths from the sheet folder, type defaults to tumor') {
    def bams = tmp.resolve('bams')
    Files.createDirectories(bams)
    ['a.bam', 'a.bam.bai', 'n.bam', 'n.bam.bai'].each { f -> Files.write(bams.resolve(f), [] as byte[]) }
    def rows = script.readSamplesheet(sheet('s.csv', 'sample,bam,bai,type\nA,bams/a.bam,bams/a.bam.bai,\nN,bams/n.bam,bams/n.bam.bai,normal\n'))
    assert rows.size() == 2
    assert rows[0][0] == [id: 'A', type: 'tumor']
    assert rows[0][1] == bams.resolve('a.bam').normalize()
    assert rows[0][3] == []
    assert rows[1][0] == [id: 'N', type: 'normal']
}

check('readSamplesheet: optional tumor_variants column for ctdna mrd') {
    def bams = tmp.resolve('mrd')
    Files.createDirectories(bams)
    ['p.bam', 'p.bam.bai', 'p.tumor.vcf.gz'].each { f -> Files.write(bams.resolve(f), [] as byte[]) }
    def rows = script.readSamplesheet(sheet('v.csv', 'sample,bam,bai,type,tumor_variants\nP,mrd/p.bam,mrd/p.bam.bai,tumor,mrd/p.tumor.vcf.gz\nQ,mrd/p.bam,mrd/p.bam.bai,,\n'))
    assert rows[0][3] == bams.resolve('p.tumor.vcf.gz').normalize()
    assert rows[1][3] == []
    refuses({ script.readSamplesheet(sheet('vn.csv', 'sample,bam,bai,type,tumor_variants\nN,mrd/p.bam,mrd/p.bam.bai,normal,mrd/p.tumor.vcf.gz\n')) }, 'a normal row has no tumor variants')
}

check('readSamplesheet: absolute paths and no type column (test-data)') {
    def rows = script.readSamplesheet(sheet('abs.csv', "sample,bam,bai\nS,${testData}/sample.bam,${testData}/sample.bam.bai\n"))
    assert rows == [[[id: 'S', type: 'tumor'], Paths.get(testData, 'sample.bam'), Paths.get(testData, 'sample.bam.bai'), [], [], []]]
}

check('readSamplesheet refuses bad rows with the row number') {
    def bam = "${testData}/sample.bam"
    refuses({ script.readSamplesheet(sheet('m.csv', "sample,bam,bai\nS,${bam},\n")) }, "row 2: empty or missing column 'bai'")
    refuses({ script.readSamplesheet(sheet('t.csv', "sample,bam,bai,type\nS,${bam},${bam}.bai,germline\n")) }, "type must be 'tumor' or 'normal'")
    refuses({ script.readSamplesheet(sheet('d.csv', "sample,bam,bai\nS,${bam},${bam}.bai\nS,${bam},${bam}.bai\n")) }, "row 3: sample 'S' appears twice")
    try {
        script.readSamplesheet(sheet('x.csv', "sample,bam,bai\nS,missing.bam,missing.bam.bai\n"))
        assert false, 'a missing BAM was accepted'
    } catch (IllegalArgumentException e) {
        assert e.message.contains('missing.bam')
    }
}

check('metricsRows: one row per sample, named by the samplesheet, NA for absent fields') {
    def json = sheet('m.json', '''{"calls": {"records": 21, "pass": 15, "pass_snv": 12, "pass_indel": 3},
        "samples": [{"name": "SM_FROM_BAM", "reads": {"seen": 10, "used": 9}, "overlap_fraction": 0.5,
                     "depth": {"mean": 800.5, "min": 0, "pct_ge_500": 93.2, "pct_ge_1000": 0.0},
                     "lod_median": 0.008, "lod_p90": 0.0099}]}''')
    def header = script.metricsHeader().readLines().last().split('\t')
    def row = script.metricsRows([id: 'S1'], json).split('\t')
    assert header.size() == row.size()
    assert row[0] == 'S1' && row[1] == '10' && row[header.findIndexOf { c -> c == 'pass' }] == '15'
    def stub = script.metricsRows([id: 'X'], sheet('stub.json', '{}')).split('\t')
    assert stub[0] == 'X' && stub.drop(1).every { v -> v == 'NA' }
}

check('the metrics table has the same columns as the Snakemake twin') {
    def twin = new File(args[0]).canonicalFile.parentFile.toPath()
        .resolve('../snakemake/scripts/metrics_table.py').normalize()
    def columns = ['Sample'] + (twin.text =~ /\("(\w+)", lambda/).collect { m -> m[1] }
    assert script.metricsHeader().readLines().last().split('\t').toList() == columns
}

check('mrdRow: the verdict, tumor fraction and interval; NA for a stub') {
    def json = sheet('mrd.json', '''{"call": "DETECTED", "tumor_fraction": 0.03, "ci95": [0.02, 0.04],
        "p_value": 1e-9, "limit_of_detection": 0.003, "loci": {"total": 19, "used": 4},
        "molecules": 3781, "alt_molecules": 120}''')
    def header = script.mrdHeader().readLines().last().split('\t')
    def row = script.mrdRow([id: 'P1'], json).split('\t')
    assert header.size() == row.size()
    assert row[0] == 'P1' && row[1] == 'DETECTED' && row[3] == '0.02' && row[4] == '0.04'
    assert row[header.findIndexOf { c -> c == 'loci_used' }] == '4'
    def stub = script.mrdRow([id: 'X'], sheet('mrdstub.json', '{}')).split('\t')
    assert stub[0] == 'X' && stub.drop(1).every { v -> v == 'NA' }
}

check('the MRD table has the same columns as the Snakemake twin') {
    def twin = new File(args[0]).canonicalFile.parentFile.toPath()
        .resolve('../snakemake/scripts/mrd_table.py').normalize()
    def columns = ['Sample'] + (twin.text =~ /\("(\w+)", lambda/).collect { m -> m[1] }
    assert script.mrdHeader().readLines().last().split('\t').toList() == columns
}

check('readSamplesheet: patient and timepoint make a series; seriesTask orders it by time') {
    def dir = tmp.resolve('series')
    Files.createDirectories(dir)
    ['a.bam', 'a.bam.bai', 'b.bam', 'b.bam.bai', 'c.bam', 'c.bam.bai', 't.vcf.gz', 'u.vcf.gz'].each { f -> Files.write(dir.resolve(f), [] as byte[]) }
    def head = 'sample,bam,bai,type,tumor_variants,patient,timepoint\n'
    def rows = script.readSamplesheet(sheet('p.csv', head +
        'P1_d90,series/c.bam,series/c.bam.bai,,series/t.vcf.gz,P1,90\n' +
        'P1_d0,series/a.bam,series/a.bam.bai,,series/t.vcf.gz,P1,0\n' +
        'P1_d7,series/b.bam,series/b.bam.bai,,series/t.vcf.gz,P1,7\n' +
        'Q,series/a.bam,series/a.bam.bai,,,,\n'))
    assert rows[0][0] == [id: 'P1_d90', type: 'tumor', patient: 'P1', timepoint: 90]
    assert rows[3][0] == [id: 'Q', type: 'tumor']
    // numeric order (7 before 90), not the sheet's, and not text order
    def task = script.seriesTask('P1', rows.findAll { row -> row[0].patient })
    assert task[0] == [id: 'P1', timepoints: ['P1_d0', 'P1_d7', 'P1_d90']]
    assert task[1] == [dir.resolve('a.bam'), dir.resolve('b.bam'), dir.resolve('c.bam')]*.normalize()
    assert task[2][0] == dir.resolve('a.bam.bai').normalize()
    assert task[3] == dir.resolve('t.vcf.gz').normalize()
    assert task[4] == [] && task[5] == []
    def bad = { String name, String body -> sheet(name, head + body) }
    refuses({ script.readSamplesheet(bad('p1.csv', 'A,series/a.bam,series/a.bam.bai,,,P1,\n')) }, 'give both patient and timepoint')
    refuses({ script.readSamplesheet(bad('p2.csv', 'A,series/a.bam,series/a.bam.bai,,,P1,week1\n')) }, 'timepoint must be a number')
    refuses({ script.readSamplesheet(bad('p3.csv', 'A,series/a.bam,series/a.bam.bai,normal,,P1,1\n')) }, 'a normal row is in no patient')
    refuses({ script.readSamplesheet(bad('p4.csv', 'A,series/a.bam,series/a.bam.bai,,,P1,1\nB,series/b.bam,series/b.bam.bai,,,P1,1\n')) }, "patient 'P1' has two rows with one timepoint")
    refuses({ script.readSamplesheet(bad('p5.csv', 'A,series/a.bam,series/a.bam.bai,,series/t.vcf.gz,P1,1\nB,series/b.bam,series/b.bam.bai,,series/u.vcf.gz,P1,2\n')) }, 'names different tumor_variants')
}

check('readSamplesheet: a matched normal per plasma row; one per patient, carried by seriesTask') {
    def dir = tmp.resolve('matched')
    Files.createDirectories(dir)
    ['a.bam', 'a.bam.bai', 'b.bam', 'b.bam.bai', 'wbc.bam', 'wbc.bam.bai', 'wbc2.bam', 'wbc2.bam.bai'].each { f -> Files.write(dir.resolve(f), [] as byte[]) }
    def head = 'sample,bam,bai,type,tumor_variants,patient,timepoint,normal,normal_bai\n'
    def rows = script.readSamplesheet(sheet('mn.csv', head +
        'P1_d30,matched/b.bam,matched/b.bam.bai,,,P1,30,matched/wbc.bam,matched/wbc.bam.bai\n' +
        'P1_d0,matched/a.bam,matched/a.bam.bai,,,P1,0,matched/wbc.bam,matched/wbc.bam.bai\n' +
        'Q,matched/a.bam,matched/a.bam.bai,,,,,matched/wbc2.bam,matched/wbc2.bam.bai\n' +
        'R,matched/a.bam,matched/a.bam.bai,,,,,,\n'))
    assert rows.every { row -> row.size() == 6 }
    assert rows[0][4] == dir.resolve('wbc.bam').normalize() && rows[0][5] == dir.resolve('wbc.bam.bai').normalize()
    assert rows[2][4] == dir.resolve('wbc2.bam').normalize()
    assert rows[3][4] == [] && rows[3][5] == []
    def task = script.seriesTask('P1', rows.findAll { row -> row[0].patient })
    assert task[0].timepoints == ['P1_d0', 'P1_d30']
    assert task[3] == [] && task[4] == dir.resolve('wbc.bam').normalize() && task[5] == dir.resolve('wbc.bam.bai').normalize()
    def bad = { String name, String body -> sheet(name, head + body) }
    refuses({ script.readSamplesheet(bad('mn1.csv', 'N,matched/a.bam,matched/a.bam.bai,normal,,,,matched/wbc.bam,matched/wbc.bam.bai\n')) }, 'row 2: a normal row has no matched normal')
    refuses({ script.readSamplesheet(bad('mn2.csv', 'A,matched/a.bam,matched/a.bam.bai,,,,,matched/wbc.bam,\n')) }, 'row 2: give both normal and normal_bai')
    refuses({ script.readSamplesheet(bad('mn3.csv',
        'A,matched/a.bam,matched/a.bam.bai,,,P1,0,matched/wbc.bam,matched/wbc.bam.bai\n' +
        'B,matched/b.bam,matched/b.bam.bai,,,P1,7,matched/wbc2.bam,matched/wbc2.bam.bai\n' +
        'C,matched/b.bam,matched/b.bam.bai,,,P1,9,,\n')) },
        "patient 'P1': rows name different matched normals (A (row 2): ${dir.resolve('wbc.bam').normalize()}; B (row 3): ${dir.resolve('wbc2.bam').normalize()}; C (row 4): none)")
    try {
        script.readSamplesheet(bad('mn4.csv', 'A,matched/a.bam,matched/a.bam.bai,,,,,matched/missing.bam,matched/missing.bam.bai\n'))
        assert false, 'a missing normal BAM was accepted'
    } catch (IllegalArgumentException e) {
        assert e.message.contains('missing.bam')
    }
}

check('mrdSeriesRows: one row per timepoint, the relapse marked; NA for a stub') {
    def json = sheet('series.json', '''{"call": "DETECTED", "timepoints": [
        {"timepoint": "P1_d0", "index": 1, "call": "NOT_DETECTED", "tumor_fraction": 0, "ci95": [0, 0.001],
         "limit_of_detection": 0.002, "relapse": false},
        {"timepoint": "P1_d90", "index": 2, "call": "DETECTED", "tumor_fraction": 0.01, "ci95": [0.008, 0.012],
         "limit_of_detection": 0.002, "relapse": true}]}''')
    def header = script.mrdSeriesHeader().readLines().last().split('\t')
    def rows = script.mrdSeriesRows([id: 'P1'], json).readLines()*.split('\t')
    assert rows.size() == 2 && rows.every { row -> row.size() == header.size() }
    assert rows[0][0] == 'P1_d0' && rows[0][1] == 'P1' && rows[0][3] == 'NOT_DETECTED'
    assert rows[1][header.findIndexOf { c -> c == 'relapse' }] == 'true'
    def stub = script.mrdSeriesRows([id: 'X'], sheet('seriesstub.json', '{}')).split('\t')
    assert stub[0] == 'X' && stub[1] == 'X' && stub.drop(2).every { v -> v == 'NA' }
}

check('the MRD series table has the same columns as the Snakemake twin') {
    def twin = new File(args[0]).canonicalFile.parentFile.toPath()
        .resolve('../snakemake/scripts/mrd_series_table.py').normalize()
    def columns = ['Sample'] + (twin.text =~ /\("(\w+)", lambda/).collect { m -> m[1] }
    assert script.mrdSeriesHeader().readLines().last().split('\t').toList() == columns
}

// ctdna's MultiQC files, as `ctdna call --multiqc` names them (SM "sample";
// a matched normal's SM "sample_normal" as the second row).
def mqc = sheet('sample.ctdna_read_fates_mqc.json', '''{"id": "ctdna_read_fates", "plot_type": "bargraph",
    "pconfig": {"id": "ctdna_read_fates_plot", "title": "ctdna: reads by fate"},
    "data": {"sample": {"used": 43327, "low MAPQ": 1698}, "sample_normal": {"used": 40000, "low MAPQ": 12}}}''')

check('mqcFile: file and rows renamed to the samplesheet sample (normal: _normal), the rest kept') {
    def (name, text) = script.mqcFile([id: 'patient1'], mqc)
    def got = new groovy.json.JsonSlurper().parseText(text)
    assert name == 'patient1.ctdna_read_fates_mqc.json'
    assert got.data.keySet() == ['patient1', 'patient1_normal'] as Set
    assert got.data.patient1.used == 43327 && got.data.patient1_normal.used == 40000
    assert got.id == 'ctdna_read_fates' && got.plot_type == 'bargraph' && got.pconfig.title == 'ctdna: reads by fate'
    assert script.fileStem('a b/c') == 'a_b_c' && script.fileStem('.x') == 'sample.x' && script.fileStem('T1.x-y_z') == 'T1.x-y_z'
    def weird = sheet('a_b.ctdna_mrd_mqc.json', '{"id": "ctdna_mrd", "data": {"a b": {"ctdna_mrd_call": "DETECTED"}}}')
    assert script.mqcFile([id: 'S2'], weird)[0] == 'S2.ctdna_mrd_mqc.json'
    refuses({ script.mqcFile([id: 'S'], sheet('other.ctdna_general_mqc.json', '{"data": {"T1": {}, "T2": {}}}')) },
        "want the plasma's row (other)")
}

check('mqcFile renames as the Snakemake twin (scripts/multiqc_files.py) does') {
    def twin = new File(args[0]).canonicalFile.parentFile.toPath().resolve('../snakemake/scripts').normalize()
    def code = "import json, pathlib, sys; sys.path.insert(0, sys.argv[1]); import multiqc_files; " +
        "print(json.dumps(multiqc_files.renamed(pathlib.Path(sys.argv[2]), 'patient1')))"
    def proc = ['python3', '-c', code, twin.toString(), mqc.toString()].execute()
    def out = proc.text
    assert proc.waitFor() == 0, proc.err.text
    def slurp = new groovy.json.JsonSlurper()
    assert slurp.parseText(out) == slurp.parseText(script.mqcFile([id: 'patient1'], mqc)[1])
}

println "groovy helpers: ${passed} passed, ${failed} failed"
System.exit(failed ? 1 : 0)
