//! A read's aux fields looked up in place, without allocating: UMI mode
//! reads a UMI, consensus depths and the mate's CIGAR of every read, and
//! rust-htslib's `Record::aux` builds a C string for each lookup (a
//! malloc and a free a tag, a tenth of UMI mode's reading time with the
//! scan). The same answers as `Record::aux` for a well-formed field; a
//! field htslib would reject as corrupt (truncated, unknown type, a string
//! without its NUL) is not found, as there.

use rust_htslib::bam::Record;

/// One aux field's value: a string (`Z` or `H`, without its NUL), an
/// integer (`c C s S i I`), or another type (not read here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuxValue<'a> {
    Str(&'a [u8]),
    Int(i64),
    Other,
}

impl<'a> AuxValue<'a> {
    /// A string value that is UTF-8 (what `Record::aux` gives as
    /// `Aux::String`; anything else was a parse error there).
    pub fn utf8(self) -> Option<&'a str> {
        match self {
            AuxValue::Str(s) => std::str::from_utf8(s).ok(),
            _ => None,
        }
    }

    pub fn int(self) -> Option<i64> {
        match self {
            AuxValue::Int(v) => Some(v),
            _ => None,
        }
    }
}

/// All of `rec`'s variable-length data: name, CIGAR, bases, qualities,
/// aux fields.
#[allow(unsafe_code)]
fn record_data(rec: &Record) -> &[u8] {
    let b = rec.inner();
    let Ok(len) = usize::try_from(b.l_data) else {
        return &[];
    };
    if b.data.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: htslib keeps `l_data` initialised bytes at `data` for as
    // long as the record lives and is not changed; the slice borrows
    // `rec`, so neither can happen while it is held. (rust-htslib 0.46
    // builds the same slice in its private `Record::data`.)
    unsafe { std::slice::from_raw_parts(b.data, len) }
}

/// The aux bytes of `rec`: what follows name, CIGAR, bases and qualities.
fn aux_bytes(rec: &Record) -> &[u8] {
    let c = &rec.inner().core;
    let l_seq = c.l_qseq.max(0) as usize;
    let start = usize::from(c.l_qname) + 4 * c.n_cigar as usize + l_seq.div_ceil(2) + l_seq;
    record_data(rec).get(start..).unwrap_or_default()
}

/// Bytes of a fixed-size value of type `t` (htslib's `aux_type2size`).
fn fixed_size(t: u8) -> Option<usize> {
    match t {
        b'A' | b'c' | b'C' => Some(1),
        b's' | b'S' => Some(2),
        b'i' | b'I' | b'f' => Some(4),
        b'd' => Some(8),
        _ => None,
    }
}

/// The first aux field of `rec` named `tag`, if well formed (`None` past
/// a corrupt field, as htslib's `bam_aux_get`).
pub fn aux_field<'a>(rec: &'a Record, tag: &[u8; 2]) -> Option<AuxValue<'a>> {
    let data = aux_bytes(rec);
    let mut i = 0;
    // htslib reads a field only with its tag and type byte present.
    while data.len() - i > 2 {
        let t = data[i + 2];
        let v = i + 3;
        let end = match t {
            b'Z' | b'H' => v + data[v..].iter().position(|&b| b == 0)? + 1,
            b'B' => {
                let sub = fixed_size(*data.get(v)?)?;
                let n = u32::from_le_bytes(data.get(v + 1..v + 5)?.try_into().ok()?) as usize;
                let e = (v + 5).checked_add(sub.checked_mul(n)?)?;
                (e <= data.len()).then_some(e)?
            }
            _ => {
                let e = v + fixed_size(t)?;
                (e <= data.len()).then_some(e)?
            }
        };
        if data[i..i + 2] == *tag {
            let b = &data[v..end];
            return Some(match t {
                b'Z' | b'H' => AuxValue::Str(&b[..b.len() - 1]),
                b'c' => AuxValue::Int(i64::from(b[0] as i8)),
                b'C' => AuxValue::Int(i64::from(b[0])),
                b's' => AuxValue::Int(i64::from(i16::from_le_bytes([b[0], b[1]]))),
                b'S' => AuxValue::Int(i64::from(u16::from_le_bytes([b[0], b[1]]))),
                b'i' => AuxValue::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                b'I' => AuxValue::Int(i64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
                _ => AuxValue::Other,
            });
        }
        i = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_htslib::bam::record::{Aux, AuxArray, CigarString};

    fn with_tags() -> Record {
        let mut rec = Record::new();
        rec.set(
            b"r1",
            Some(&CigarString::try_from("3M").unwrap()),
            b"ACG",
            &[30; 3],
        );
        rec.push_aux(b"XA", Aux::Char(b'x')).unwrap();
        rec.push_aux(b"RX", Aux::String("ACGT-TTGA")).unwrap();
        rec.push_aux(b"c1", Aux::I8(-3)).unwrap();
        rec.push_aux(b"c2", Aux::U8(200)).unwrap();
        rec.push_aux(b"c3", Aux::I16(-300)).unwrap();
        rec.push_aux(b"c4", Aux::U16(60000)).unwrap();
        rec.push_aux(b"c5", Aux::I32(-70000)).unwrap();
        rec.push_aux(b"c6", Aux::U32(4_000_000_000)).unwrap();
        rec.push_aux(b"BA", Aux::ArrayU16(AuxArray::from(&[1u16, 2, 3][..])))
            .unwrap();
        rec.push_aux(b"FL", Aux::Float(1.5)).unwrap();
        rec.push_aux(b"DB", Aux::Double(2.5)).unwrap();
        rec.push_aux(b"MC", Aux::String("50M")).unwrap();
        rec
    }

    /// What `Record::aux` reads, in this module's terms.
    fn htslib_view(rec: &Record, tag: &[u8; 2]) -> Option<AuxValue<'static>> {
        Some(match rec.aux(tag).ok()? {
            Aux::String(s) => AuxValue::Str(s.as_bytes().to_vec().leak()),
            Aux::I8(v) => AuxValue::Int(i64::from(v)),
            Aux::U8(v) => AuxValue::Int(i64::from(v)),
            Aux::I16(v) => AuxValue::Int(i64::from(v)),
            Aux::U16(v) => AuxValue::Int(i64::from(v)),
            Aux::I32(v) => AuxValue::Int(i64::from(v)),
            Aux::U32(v) => AuxValue::Int(i64::from(v)),
            _ => AuxValue::Other,
        })
    }

    #[test]
    fn every_type_is_read_as_htslib_reads_it() {
        let rec = with_tags();
        for tag in [
            b"XA", b"RX", b"c1", b"c2", b"c3", b"c4", b"c5", b"c6", b"BA", b"FL", b"DB", b"MC",
            b"cD",
        ] {
            assert_eq!(aux_field(&rec, tag), htslib_view(&rec, tag), "{tag:?}");
        }
        assert_eq!(
            aux_field(&rec, b"RX").and_then(AuxValue::utf8),
            Some("ACGT-TTGA")
        );
        assert_eq!(
            aux_field(&rec, b"c6").and_then(AuxValue::int),
            Some(4_000_000_000)
        );
        assert_eq!(aux_field(&Record::new(), b"RX"), None);
    }

    #[test]
    fn a_corrupt_field_ends_the_search() {
        let mut rec = with_tags();
        // Cut the last string's NUL: MC is gone, the fields before stay.
        let mut data = record_data(&rec).to_vec();
        data.pop();
        let core = rec.inner().core;
        rec.set_data(&data);
        rec.inner_mut().core = core;
        assert_eq!(aux_field(&rec, b"MC"), None);
        assert!(rec.aux(b"MC").is_err());
        assert_eq!(aux_field(&rec, b"c2"), Some(AuxValue::Int(200)));
    }
}
