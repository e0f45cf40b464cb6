//! The HTML report and MultiQC files (`call --report --multiqc`, `ctdna
//! report`, `mrd --multiqc`), end to end through the binary; the page in
//! headless Chromium and the files in `multiqc --strict` where installed.

mod common;

use common::{ctdna, s, stderr, UmiData};
use std::path::{Path, PathBuf};

const TD: &str = env!("CARGO_MANIFEST_DIR");

fn td(f: &str) -> String {
    format!("{TD}/test-data/{f}")
}

/// `ctdna call --quiet` on `dir`'s sample.bam and ref.fa (`dir(name)`
/// gives a file's path) over the targets `bed`, then `extra`.
fn call_on(dir: &dyn Fn(&str) -> String, bed: &str, extra: &[&str]) -> std::process::Output {
    let (bam, reference) = (dir("sample.bam"), dir("ref.fa"));
    let mut args = vec![
        "call", "--quiet", "--bam", &bam, "-r", &reference, "-t", bed,
    ];
    args.extend_from_slice(extra);
    ctdna(&args)
}

/// Records of a plain or bgzipped VCF, split into fields.
fn vcf_records(path: &Path) -> Vec<Vec<String>> {
    let text = ctdna::bgzf_in::open(path)
        .map(|r| std::io::read_to_string(r).unwrap())
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

/// The text between `start` and the next `end` after it.
/// `ctdna report --metrics M --vcf V -o OUT` plus `extra`, which must
/// succeed: the page written.
fn report_page(metrics: &Path, vcf: &Path, extra: &[&str], out: &Path) -> String {
    let mut args = vec![
        "report",
        "--metrics",
        s(metrics),
        "--vcf",
        s(vcf),
        "-o",
        s(out),
    ];
    args.extend_from_slice(extra);
    let o = ctdna(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::read_to_string(out).unwrap()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let i = text.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
    &text[i..i + text[i..].find(end).unwrap()]
}

/// `<div data-plot="id">…</div>` blocks: (id, marks).
fn plots(html: &str) -> Vec<(String, usize)> {
    html.split("data-plot=\"")
        .skip(1)
        .map(|rest| {
            let id = &rest[..rest.find('"').unwrap()];
            let svg = &rest[..rest.find("</svg>").unwrap()];
            (id.to_string(), svg.matches("class=\"mark\"").count())
        })
        .collect()
}

struct Run {
    _dir: tempfile::TempDir,
    dir: PathBuf,
}

impl Run {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().to_path_buf();
        Run { _dir: dir, dir: p }
    }
    fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }
}

/// `call --report --multiqc --metrics` on test-data/ with one more target
/// where the simulation put no reads.
fn call_test_data(run: &Run) {
    let bed = run.path("targets.bed");
    let mut text = std::fs::read_to_string(td("targets.bed")).unwrap();
    text.push_str("chr1\t29000\t29200\tempty\n");
    std::fs::write(&bed, text).unwrap();
    let (vcf, metrics, html, mqc) = (
        run.path("calls.vcf.gz"),
        run.path("calls.json"),
        run.path("report.html"),
        run.path("mqc"),
    );
    let o = call_on(
        &td,
        s(&bed),
        &[
            "-o",
            s(&vcf),
            "--metrics",
            s(&metrics),
            "--report",
            s(&html),
            "--multiqc",
            s(&mqc),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn call_report_holds_every_vcf_record_and_draws_every_plot() {
    let run = Run::new();
    call_test_data(&run);
    let html = std::fs::read_to_string(run.path("report.html")).unwrap();
    let records = vcf_records(&run.path("calls.vcf.gz"));
    assert!(records.len() > 10, "{}", records.len());
    // The calls table: one row per record, in VCF order, PASS and filtered.
    let table = between(&html, "<table class=\"calls\">", "</table>");
    let rows: Vec<&str> = table.split("<tr").skip(2).collect();
    assert_eq!(rows.len(), records.len());
    for (row, rec) in rows.iter().zip(&records) {
        let cell = format!("<td class=\"n\">{}</td>", rec[1]);
        assert!(row.contains(&cell), "{row} vs {rec:?}");
        assert_eq!(row.starts_with(" class=\"filtered\""), rec[6] != "PASS");
    }
    // Every plot fragment mode can draw is drawn; families say there are none.
    let drawn: Vec<String> = plots(&html)
        .into_iter()
        .filter(|p| p.1 > 0)
        .map(|p| p.0)
        .collect();
    for id in [
        "reads",
        "molecule-classes",
        "depth-targets",
        "depth-distribution",
        "lod-targets",
        "spectrum",
        "indels",
        "vaf-lod",
    ] {
        assert!(drawn.iter().any(|d| d == id), "{id} not drawn: {drawn:?}");
    }
    assert!(html.contains("No UMI families: this run counted fragments"));
    assert_eq!(
        plots(&html).iter().find(|p| p.0 == "spectrum").unwrap().1,
        96
    );
    assert_eq!(
        plots(&html).iter().find(|p| p.0 == "vaf-lod").unwrap().1,
        records.len()
    );
    // Self-contained: nothing fetched, no script.
    for bad in [
        "<script", "src=", "href=", "http://", "https://", "@import", "url(",
    ] {
        assert!(!html.contains(bad), "{bad}");
    }
}

#[test]
fn the_empty_target_is_marked_low_and_covered_targets_are_not() {
    let run = Run::new();
    call_test_data(&run);
    let html = std::fs::read_to_string(run.path("report.html")).unwrap();
    let low = between(&html, "<p class=\"bad low-targets\">", "</p>");
    assert!(low.contains("chr1:29000-29200 (0)"), "{low}");
    // test-data's other targets hold ~900 molecules, except the one on the
    // duplicated segment (its reads fail --min-mapq): at most two are low.
    assert!(
        low.starts_with("Low targets (2)") || low.starts_with("Low targets (1)"),
        "{low}"
    );
    // The depth histogram holds every target position once.
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.path("calls.json")).unwrap()).unwrap();
    let counts: u64 = metrics["samples"][0]["depth_histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 2308 + 200);
}

#[test]
fn report_from_metrics_and_vcf_is_the_page_call_wrote() {
    let run = Run::new();
    call_test_data(&run);
    let out = run.path("again.html");
    let b = report_page(
        &run.path("calls.json"),
        &run.path("calls.vcf.gz"),
        &["--multiqc", s(&run.path("again_mqc"))],
        &out,
    );
    // The MultiQC files byte for byte: the metrics' floats read back exactly.
    let files = |d: &str| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(run.path(d))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(files("mqc"), files("again_mqc"));
    let a = std::fs::read_to_string(run.path("report.html")).unwrap();
    // The same sections and plots; the calls table and the plots alike.
    assert_eq!(plots(&a), plots(&b));
    let table = |h: &str| between(h, "<table class=\"calls\">", "</table>").to_string();
    assert_eq!(table(&a), table(&b));
    let spectrum = |h: &str| between(h, "data-plot=\"spectrum\"", "</svg>").to_string();
    assert_eq!(spectrum(&a), spectrum(&b));
}

#[test]
fn multiqc_files_hold_the_run_s_figures() {
    let run = Run::new();
    call_test_data(&run);
    let mqc = run.path("mqc");
    assert_eq!(
        common::files_in(&mqc),
        [
            "sample.ctdna_error_spectrum_mqc.json",
            "sample.ctdna_general_mqc.json",
            "sample.ctdna_read_fates_mqc.json"
        ]
    );
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(mqc.join(f)).unwrap()).unwrap()
    };
    let general = read("sample.ctdna_general_mqc.json");
    let pass = vcf_records(&run.path("calls.vcf.gz"))
        .iter()
        .filter(|r| r[6] == "PASS")
        .count();
    assert_eq!(general["plot_type"], "generalstats");
    assert_eq!(general["data"]["sample"]["ctdna_pass_calls"], pass);
    let median = general["data"]["sample"]["ctdna_median_depth"]
        .as_f64()
        .unwrap();
    assert!((850.0..1000.0).contains(&median), "{median}");
    // The bar graph misses no fate: used and every drop reason add up to the reads seen.
    let fates = read("sample.ctdna_read_fates_mqc.json");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.path("calls.json")).unwrap()).unwrap();
    let sum: u64 = fates["data"]["sample"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(sum, m["samples"][0]["reads"]["seen"].as_u64().unwrap());
    let spectrum = read("sample.ctdna_error_spectrum_mqc.json");
    assert_eq!(spectrum["data"]["sample"].as_object().unwrap().len(), 96);
    multiqc_strict(&mqc);
}

/// `multiqc --strict` reads the folder with no warning (skipped without multiqc).
fn multiqc_strict(dir: &Path) {
    let out = dir.join("multiqc_out");
    let o = std::process::Command::new("multiqc")
        .args(["--strict", "--no-ansi", "-f", "-o", s(&out), s(dir)])
        .output();
    let Ok(o) = o else {
        eprintln!("SKIP: multiqc is not on PATH (pip install multiqc): the _mqc files were not read by MultiQC");
        return;
    };
    let log = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(o.status.success(), "{log}");
    assert!(
        !log.contains("WARNING") && !log.contains("| ERROR"),
        "{log}"
    );
    assert!(out.join("multiqc_report.html").exists(), "{log}");
}

#[test]
fn umi_run_draws_families_and_tiers_and_mrd_joins_the_page() {
    let data = UmiData::simulate();
    let run = Run::new();
    let (vcf, metrics, html, mqc) = (
        run.path("c.vcf.gz"),
        run.path("c.json"),
        run.path("r.html"),
        run.path("mqc"),
    );
    let mut args = data.call();
    args.extend(
        [
            "-o",
            s(&vcf),
            "--metrics",
            s(&metrics),
            "--multiqc",
            s(&mqc),
        ]
        .map(String::from),
    );
    let o = ctdna(&common::strs(&args));
    assert!(o.status.success(), "{}", stderr(&o));
    let mrd = run.path("mrd.json");
    let o = ctdna(&[
        "mrd",
        "--quiet",
        "--bam",
        &data.path("sample.bam"),
        "-r",
        &data.path("ref.fa"),
        "--tumor-variants",
        &data.path("truth.vcf.gz"),
        "-o",
        s(&mrd),
        "--multiqc",
        s(&mqc),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = report_page(&metrics, &vcf, &["--mrd", s(&mrd)], &html);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&metrics).unwrap()).unwrap();
    let sizes = m["samples"][0]["umi"]["family_sizes"]
        .as_array()
        .unwrap()
        .len();
    let p = plots(&page);
    assert_eq!(p.iter().find(|x| x.0 == "families").unwrap().1, sizes);
    assert_eq!(p.iter().find(|x| x.0 == "tiers").unwrap().1, 3);
    // The simulated plasma carries 2% and 5% variants: mrd detects tumour DNA.
    assert!(
        page.contains("<span class=\"bad mrd-call\">DETECTED</span>"),
        "{}",
        between(&page, "<h2 id=\"mrd\">", "</table>")
    );
    assert_eq!(common::files_in(&mqc).len(), 5);
    let mrd_mqc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(mqc.join("sample.ctdna_mrd_mqc.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(mrd_mqc["data"]["sample"]["ctdna_mrd_call"], "DETECTED");
    multiqc_strict(&mqc);
    browser_check(&html, &vcf, "umi");
    // Two time points: the later one a tumour-free result, as mrd writes it.
    let mut later: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&mrd).unwrap()).unwrap();
    later["call"] = "NOT_DETECTED".into();
    later["tumor_fraction"] = 0.0.into();
    later["ci95"] = serde_json::json!([0.0, 0.0003]);
    let later_path = run.path("later.json");
    std::fs::write(&later_path, later.to_string()).unwrap();
    let series = run.path("series.html");
    let page = report_page(
        &metrics,
        &vcf,
        &["--mrd", s(&mrd), "--mrd", s(&later_path)],
        &series,
    );
    assert_eq!(
        plots(&page)
            .iter()
            .find(|x| x.0 == "mrd-trajectory")
            .unwrap()
            .1,
        2
    );
    assert_eq!(page.matches("mrd-call\">").count(), 2);
    browser_check(&series, &vcf, "umi-series");
    // One `mrd` run over a series (two timepoints: the plasma and a copy)
    // is read as its timepoints: the same trajectory from one file.
    let copy = run.path("copy.bam");
    std::fs::copy(data.path("sample.bam"), &copy).unwrap();
    std::fs::copy(data.path("sample.bam.bai"), run.path("copy.bam.bai")).unwrap();
    let series_json = run.path("series.json");
    let o = ctdna(&[
        "mrd",
        "--quiet",
        "--bam",
        &data.path("sample.bam"),
        "--bam",
        s(&copy),
        "--timepoints",
        "t1,t2",
        "-r",
        &data.path("ref.fa"),
        "--tumor-variants",
        &data.path("truth.vcf.gz"),
        "-o",
        s(&series_json),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let one_file = run.path("series-one-file.html");
    let page = report_page(&metrics, &vcf, &["--mrd", s(&series_json)], &one_file);
    let trajectory = plots(&page);
    let marks = trajectory.iter().find(|x| x.0 == "mrd-trajectory").unwrap();
    assert_eq!(marks.1, 2);
    assert!(page.contains("Sample t1:") && page.contains("Sample t2:"));
}

#[test]
fn names_from_inputs_are_escaped() {
    let run = Run::new();
    let sim = run.path("sim");
    let name = "<b>x</b>&\"y\"";
    let o = ctdna(&[
        "simulate",
        "--quiet",
        "--out-dir",
        s(&sim),
        "--targets",
        "3",
        "--contigs",
        "1",
        "--depth",
        "100",
        "--vaf",
        "0.05",
        "--germline-snvs",
        "1",
        "--dup-segments",
        "0",
        "--paralog-targets",
        "0",
        "--sample-name",
        name,
        "--umi-len",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = run.path("r.html");
    let sp = |f: &str| sim.join(f).display().to_string();
    let o = call_on(
        &sp,
        &sp("targets.bed"),
        &[
            "-o",
            s(&run.path("c.vcf")),
            "--report",
            s(&html),
            "--multiqc",
            s(&run.path("mqc")),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(!page.contains("<b>x"), "unescaped sample name");
    assert!(page.contains("&lt;b&gt;x&lt;/b&gt;&amp;&quot;y&quot;"));
    // The MultiQC file names are made safe; the sample name inside is JSON.
    assert_eq!(
        common::files_in(&run.path("mqc"))[0],
        "_b_x__b___y_.ctdna_error_spectrum_mqc.json"
    );
}

#[test]
fn report_refuses_metrics_of_another_command_and_a_clashing_output() {
    let run = Run::new();
    let not_call = run.path("other.json");
    std::fs::write(&not_call, r#"{"command": "mrd"}"#).unwrap();
    let o = ctdna(&[
        "report",
        "--metrics",
        s(&not_call),
        "--vcf",
        &td("truth.vcf.gz"),
        "-o",
        s(&run.path("r.html")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not the metrics of a `ctdna call` run"),
        "{}",
        stderr(&o)
    );
    let o = ctdna(&[
        "report",
        "--metrics",
        s(&not_call),
        "--vcf",
        &td("truth.vcf.gz"),
        "-o",
        s(&not_call),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!run.path("r.html").exists());
}

/// The page in headless Chromium (tests/browser/check_report.sh): no console
/// error, nothing fetched, marks drawn in every plot, the calls table holds
/// the VCF's records; the screenshot goes to target/report-check/.
fn browser_check(html: &Path, vcf: &Path, name: &str) {
    let shot = format!("{TD}/target/report-check/{name}.png");
    let o = std::process::Command::new("bash")
        .args([
            &format!("{TD}/tests/browser/check_report.sh"),
            s(html),
            s(vcf),
            &shot,
        ])
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    eprintln!("{log}");
    assert!(o.status.success(), "{log}");
}

#[test]
fn the_readme_command_s_report_passes_the_browser_check() {
    let run = Run::new();
    call_test_data(&run);
    browser_check(
        &run.path("report.html"),
        &run.path("calls.vcf.gz"),
        "test-data",
    );
}

#[test]
fn the_normals_pooled_rates_are_drawn_beside_the_sample_s() {
    let run = Run::new();
    let sim = run.path("sim");
    let sp = |f: &str| sim.join(f).display().to_string();
    let o = ctdna(&[
        "simulate",
        "--quiet",
        "--out-dir",
        s(&sim),
        "--seed",
        "3",
        "--targets",
        "4",
        "--contigs",
        "1",
        "--depth",
        "200",
        "--vaf",
        "0.05",
        "--germline-snvs",
        "1",
        "--dup-segments",
        "0",
        "--paralog-targets",
        "0",
        "--normals",
        "2",
        "--umi-len",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pon = run.path("n.pon");
    let o = ctdna(&[
        "pon",
        "--quiet",
        "--bam",
        &sp("normal_1.bam"),
        "--bam",
        &sp("normal_2.bam"),
        "-r",
        &sp("ref.fa"),
        "-t",
        &sp("targets.bed"),
        "-o",
        s(&pon),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = run.path("r.html");
    let o = call_on(
        &sp,
        &sp("targets.bed"),
        &[
            "--pon",
            s(&pon),
            "-o",
            s(&run.path("c.vcf")),
            "--report",
            s(&html),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The pooled SNV rate, summed here from the file's alt_sum / depth_sum columns.
    let text = std::io::read_to_string(ctdna::bgzf_in::open(&pon).unwrap()).unwrap();
    let (mut alt, mut depth) = (0u64, 0u64);
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = l.split('\t').collect();
        if f[3].len() == 1 {
            alt += f[7].parse::<u64>().unwrap();
            depth += f[8].parse::<u64>().unwrap();
        }
    }
    let page = std::fs::read_to_string(&html).unwrap();
    let shown = between(&page, "panel of normals, pooled SNV rate: ", "<");
    let rate = alt as f64 / depth as f64;
    assert!(
        (shown.parse::<f64>().unwrap() / rate - 1.0).abs() < 1e-3,
        "{shown} vs {rate}"
    );
    assert!(page.contains("PoN insertion (pooled)") && page.contains("PoN deletion (pooled)"));
    assert!(page.contains("(2 normals, "));
}

#[test]
fn a_multiqc_path_that_is_a_file_fails_before_any_work() {
    let run = Run::new();
    let file = run.path("taken");
    std::fs::write(&file, "x").unwrap();
    let vcf = run.path("c.vcf.gz");
    let o = call_on(
        &td,
        &td("targets.bed"),
        &["-o", s(&vcf), "--multiqc", s(&file)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--multiqc"), "{}", stderr(&o));
    assert!(!vcf.exists());
    // The report may not overwrite the run's metrics.
    let metrics = run.path("m.json");
    let o = call_on(
        &td,
        &td("targets.bed"),
        &[
            "-o",
            s(&vcf),
            "--metrics",
            s(&metrics),
            "--report",
            s(&metrics),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!vcf.exists() && !metrics.exists());
}
