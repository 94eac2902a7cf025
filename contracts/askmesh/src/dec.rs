//! Coin amounts as decimal text (up to 78 digits, as the SDK's Int allows):
//! the check, the product with a redundancy and the comparison the price
//! check needs, without a big-integer crate.

/// canonical reports whether t is a decimal integer as Coin writes
/// one: digits only, no leading zero, at most 78 digits (2^256).
pub fn canonical(t: &str) -> bool {
    !t.is_empty() && t.len() <= 78 && t.bytes().all(|c| c.is_ascii_digit()) && (t == "0" || !t.starts_with('0'))
}

/// mul multiplies a canonical decimal by m, exactly (schoolbook, no
/// bound on the digits: the inputs are bounded).
pub fn mul(a: &str, m: u64) -> String {
    if m == 0 || a == "0" {
        return "0".to_string();
    }
    let mut out: Vec<u8> = Vec::with_capacity(a.len() + 20);
    let mut carry: u128 = 0;
    for c in a.bytes().rev() {
        let v = (c - b'0') as u128 * m as u128 + carry;
        out.push(b'0' + (v % 10) as u8);
        carry = v / 10;
    }
    while carry > 0 {
        out.push(b'0' + (carry % 10) as u8);
        carry /= 10;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// less compares canonical decimals: a < b.
pub fn less(a: &str, b: &str) -> bool {
    a.len() < b.len() || (a.len() == b.len() && a < b)
}
