//! Protobuf wire format: the encoder for MsgRequestInference and the
//! queries' requests, and a reader for the fields the contract takes from
//! MsgRequestInferenceResponse, QueryModelResponse and QueryParamsResponse.

pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer { buf: Vec::new() }
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint(((field as u64) << 3) | wire as u64);
    }

    /// uint writes a varint field; proto3 leaves out zero.
    pub fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.key(field, 0);
            self.varint(v);
        }
    }

    /// bytes writes a length-delimited field; proto3 leaves out empty.
    pub fn bytes(&mut self, field: u32, v: &[u8]) {
        if !v.is_empty() {
            self.key(field, 2);
            self.varint(v.len() as u64);
            self.buf.extend_from_slice(v);
        }
    }

    /// message writes an embedded message, even when empty (a non-nullable
    /// gogoproto field such as max_fee).
    pub fn message(&mut self, field: u32, v: &[u8]) {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }
}

fn read_varint(b: &[u8], i: &mut usize) -> Result<u64, String> {
    let mut v: u64 = 0;
    for shift in 0..10u32 {
        let c = match b.get(*i) {
            Some(c) => *c,
            None => return Err("truncated varint".to_string()),
        };
        *i += 1;
        if shift == 9 && c > 1 {
            return Err("varint overflows 64 bits".to_string());
        }
        v |= ((c & 0x7f) as u64) << (7 * shift);
        if c < 0x80 {
            return Ok(v);
        }
    }
    Err("varint too long".to_string())
}

/// Field is one field's value as read off the wire.
pub enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// Fixed is a 32- or 64-bit field, skipped by every reader here.
    Fixed,
}

/// fields splits message b into (field number, value) in wire order,
/// refusing truncated input and the deprecated group wire types.
pub fn fields(b: &[u8]) -> Result<Vec<(u64, Field)>, String> {
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let key = read_varint(b, &mut i)?;
        let (f, wire) = (key >> 3, key & 7);
        let v = match wire {
            0 => Field::Varint(read_varint(b, &mut i)?),
            1 => {
                i = skip(b, i, 8)?;
                Field::Fixed
            }
            2 => {
                let n = read_varint(b, &mut i)?;
                if n > b.len() as u64 {
                    return Err("truncated field".to_string());
                }
                let start = i;
                i = skip(b, i, n as usize)?;
                Field::Bytes(&b[start..i])
            }
            5 => {
                i = skip(b, i, 4)?;
                Field::Fixed
            }
            _ => return Err("unsupported wire type".to_string()),
        };
        out.push((f, v));
    }
    Ok(out)
}

/// uint_field returns the last value of varint field `field` in message b
/// (0 when absent, as in proto3), skipping other fields.
pub fn uint_field(b: &[u8], field: u64) -> Result<u64, String> {
    let mut found = 0;
    for (f, v) in fields(b)? {
        match v {
            Field::Varint(v) if f == field => found = v,
            Field::Varint(_) | Field::Fixed => {}
            Field::Bytes(_) if f == field => return Err(format!("field {} is not a varint", field)),
            Field::Bytes(_) => {}
        }
    }
    Ok(found)
}

/// bytes_fields returns every value of length-delimited field `field` (a
/// repeated field in order; the last one is a singular field's value).
pub fn bytes_fields(b: &[u8], field: u64) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    for (f, v) in fields(b)? {
        match v {
            Field::Bytes(v) if f == field => out.push(v),
            Field::Varint(_) if f == field => return Err(format!("field {} is not length-delimited", field)),
            _ => {}
        }
    }
    Ok(out)
}

/// string_field returns the last value of string field `field` ("" when
/// absent), refusing bytes that are not UTF-8.
pub fn string_field(b: &[u8], field: u64) -> Result<String, String> {
    match bytes_fields(b, field)?.last() {
        None => Ok(String::new()),
        Some(v) => String::from_utf8(v.to_vec()).map_err(|_| format!("field {} is not UTF-8", field)),
    }
}

fn skip(b: &[u8], i: usize, n: usize) -> Result<usize, String> {
    match i.checked_add(n) {
        Some(j) if j <= b.len() => Ok(j),
        _ => Err("truncated field".to_string()),
    }
}
