//! Crockford base32 in upper case: only characters that QR alphanumeric mode
//! holds and that keyboard-wedge scanners type the same on any layout.

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn value(c: u8) -> Option<u32> {
    // Crockford's aliases: O reads as 0, I and L as 1; lower case as upper.
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        c => c,
    };
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Decode exactly `n` bytes. Rejects a wrong length, a foreign character, and
/// non-zero padding bits, so each byte string has one encoding.
pub fn decode_exact(s: &str, n: usize) -> Option<Vec<u8>> {
    if s.len() != (n * 8).div_ceil(5) {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s.as_bytes() {
        acc = (acc << 5) | value(c)?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 || out.len() != n {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_lengths() {
        for n in 0..40usize {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let s = encode(&bytes);
            assert!(s.bytes().all(|c| ALPHABET.contains(&c)));
            assert_eq!(decode_exact(&s, n).as_deref(), Some(&bytes[..]));
        }
    }

    #[test]
    fn rejects_padding_bits_and_junk() {
        let s = encode(&[0xff; 16]);
        let mut bad = s.clone();
        bad.pop();
        bad.push('Z'); // sets the padding bits
        assert!(decode_exact(&bad, 16).is_none());
        assert!(decode_exact("U", 0).is_none());
        assert!(decode_exact(&s[1..], 16).is_none());
        assert!(decode_exact(&s.replace('Z', "+"), 16).is_none());
    }
}
