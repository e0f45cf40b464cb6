//! BAM output through rust-htslib: header (@HD, @SQ, @RG, @PG), records in
//! coordinate order, `.bai` index.

use super::genome::Genome;
use super::reads::SimRead;
use crate::{Error, Result};
use rust_htslib::bam::header::HeaderRecord;
use rust_htslib::bam::{self, record::Aux, record::CigarString, Header};
use std::path::{Path, PathBuf};

/// BAI bin of a 0-based half-open span (the standard UCSC binning scheme
/// from the SAM specification, section 5.3).
pub fn reg2bin(beg: i64, end: i64) -> u16 {
    let end = end - 1;
    let levels: [(u32, i64); 5] = [(14, 4681), (17, 585), (20, 73), (23, 9), (26, 1)];
    for (shift, offset) in levels {
        if beg >> shift == end >> shift {
            return (offset + (beg >> shift)) as u16;
        }
    }
    0
}

/// Header for one sample: contigs, one read group (ID = SM = `sample`) and
/// the program line with `command_line`.
pub fn header(g: &Genome, sample: &str, command_line: &str) -> Header {
    let mut h = Header::new();
    h.push_record(
        HeaderRecord::new(b"HD")
            .push_tag(b"VN", "1.6")
            .push_tag(b"SO", "coordinate"),
    );
    for c in &g.contigs {
        h.push_record(
            HeaderRecord::new(b"SQ")
                .push_tag(b"SN", &c.name)
                .push_tag(b"LN", c.seq.len()),
        );
    }
    h.push_record(
        HeaderRecord::new(b"RG")
            .push_tag(b"ID", sample)
            .push_tag(b"SM", sample)
            .push_tag(b"LB", format!("{sample}-lib"))
            .push_tag(b"PL", "ILLUMINA"),
    );
    h.push_record(
        HeaderRecord::new(b"PG")
            .push_tag(b"ID", "ctdna")
            .push_tag(b"PN", "ctdna")
            .push_tag(b"VN", env!("CARGO_PKG_VERSION"))
            .push_tag(b"CL", command_line),
    );
    h
}

/// A BAM being written record by record (callers hand records in
/// coordinate order); [`BamSink::finish`] closes it and builds the `.bai`.
pub struct BamSink {
    writer: bam::Writer,
    path: PathBuf,
    sample: String,
    /// Contig names by tid, for the `SA` tag.
    contigs: Vec<String>,
}

impl BamSink {
    /// Create `path` with `header` at compression `level` (0-9).
    pub fn create(path: &Path, header: &Header, sample: &str, level: u32) -> Result<Self> {
        let mut writer = bam::Writer::from_path(path, header, bam::Format::Bam)
            .map_err(|e| Error::hts(format!("{}: cannot create BAM", path.display()), e))?;
        writer
            .set_compression_level(bam::CompressionLevel::Level(level))
            .map_err(|e| Error::hts(format!("{}: compression level", path.display()), e))?;
        let view = bam::HeaderView::from_header(header);
        let contigs = view
            .target_names()
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        Ok(BamSink {
            writer,
            path: path.to_path_buf(),
            sample: sample.to_string(),
            contigs,
        })
    }

    /// Append one read.
    pub fn write(&mut self, r: &SimRead) -> Result<()> {
        let ctx = |what: &str| format!("{}: {what} ({})", self.path.display(), r.qname);
        let mut rec = bam::Record::new();
        rec.set(
            r.qname.as_bytes(),
            Some(&CigarString(r.cigar.clone())),
            &r.seq,
            &r.qual,
        );
        rec.set_tid(r.tid);
        rec.set_pos(r.pos);
        rec.set_bin(reg2bin(r.pos, r.end));
        rec.set_mapq(r.mapq);
        rec.set_flags(r.flags);
        rec.set_mtid(r.mtid);
        rec.set_mpos(r.mpos);
        rec.set_insert_size(r.tlen);
        rec.push_aux(b"NM", Aux::I32(r.nm as i32))
            .map_err(|e| Error::hts(ctx("NM tag"), e))?;
        let mate_cigar = CigarString(r.mate_cigar.clone()).to_string();
        rec.push_aux(b"MC", Aux::String(&mate_cigar))
            .map_err(|e| Error::hts(ctx("MC tag"), e))?;
        rec.push_aux(b"RG", Aux::String(&self.sample))
            .map_err(|e| Error::hts(ctx("RG tag"), e))?;
        if let Some(u) = &r.umi {
            rec.push_aux(b"RX", Aux::String(u))
                .map_err(|e| Error::hts(ctx("RX tag"), e))?;
        }
        if !r.supplementary.is_empty() {
            let sa = self.sa_tag(r);
            rec.push_aux(b"SA", Aux::String(&sa))
                .map_err(|e| Error::hts(ctx("SA tag"), e))?;
        }
        self.writer
            .write(&rec)
            .map_err(|e| Error::hts(ctx("writing"), e))
    }

    /// `SA:Z` text: `contig,pos(1-based),strand,CIGAR,MAPQ,NM;` per part,
    /// on the read's contig and strand, MAPQ as the read's.
    fn sa_tag(&self, r: &SimRead) -> String {
        let contig = self.contigs.get(r.tid as usize).map_or("*", |s| s.as_str());
        let strand = if r.flags & crate::sam::REVERSE != 0 {
            '-'
        } else {
            '+'
        };
        r.supplementary
            .iter()
            .map(|p| {
                let cigar = CigarString(p.cigar.clone()).to_string();
                format!(
                    "{contig},{},{strand},{cigar},{},{};",
                    p.pos + 1,
                    r.mapq,
                    p.nm
                )
            })
            .collect()
    }

    /// Close the file and build its `.bai`.
    pub fn finish(self) -> Result<()> {
        let path = self.path.clone();
        drop(self.writer);
        bam::index::build(&path, None, bam::index::Type::Bai, 1)
            .map_err(|e| Error::hts(format!("{}: building .bai", path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg2bin_matches_spec_examples() {
        assert_eq!(reg2bin(0, 1), 4681);
        assert_eq!(reg2bin(16383, 16385), 585);
        assert_eq!(reg2bin(0, 1 << 29), 0);
    }
}
