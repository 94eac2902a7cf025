//! Standard base64 with padding, as Go's encoding/json writes []byte and as
//! CosmWasm's Binary reads it.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity((data.len() + 2) / 3 * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { ALPHABET[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { ALPHABET[n as usize & 63] as char } else { '=' });
    }
    out
}

fn value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a' + 26) as u32),
        b'0'..=b'9' => Some((c - b'0' + 52) as u32),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// decode reads padded standard base64, refusing anything else (including
/// non-zero bits after the last byte, so each value has one encoding).
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let b = text.as_bytes();
    if b.len() % 4 != 0 {
        return Err("invalid base64: length is not a multiple of 4".to_string());
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let quads = b.len() / 4;
    for q in 0..quads {
        let c = &b[q * 4..q * 4 + 4];
        let last = q + 1 == quads;
        let pad = if last && c[3] == b'=' { if c[2] == b'=' { 2 } else { 1 } } else { 0 };
        let mut n: u32 = 0;
        for (k, &ch) in c.iter().enumerate() {
            let v = if k >= 4 - pad {
                0
            } else {
                match value(ch) {
                    Some(v) => v,
                    None => return Err("invalid base64 character".to_string()),
                }
            };
            n = (n << 6) | v;
        }
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
        if (pad == 1 && n & 0xff != 0) || (pad == 2 && n & 0xffff != 0) {
            return Err("invalid base64: non-canonical padding bits".to_string());
        }
    }
    Ok(out)
}
