//! Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet, so a ticket fits the
//! alphanumeric encoding mode (5.5 bits a character instead of 8 in byte mode).

use thiserror::Error;

/// The 45 characters of RFC 9285 §4, in value order.
pub const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a text is not valid Base45.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Base45Error {
    #[error("character {character:?} at position {position} is not in the Base45 alphabet")]
    BadCharacter { position: usize, character: char },
    #[error("length {0} is not possible for Base45 (a lone trailing character)")]
    BadLength(usize),
    #[error("the group at position {0} encodes a value larger than its bytes can hold")]
    Overflow(usize),
}

/// Encodes bytes as Base45 text (RFC 9285 §4).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    for pair in bytes.chunks(2) {
        let (mut n, digits) = match pair {
            [a, b] => ((*a as u32) * 256 + *b as u32, 3),
            [a] => (*a as u32, 2),
            _ => unreachable!("chunks(2) yields one or two bytes"),
        };
        for _ in 0..digits {
            out.push(ALPHABET[(n % 45) as usize] as char);
            n /= 45;
        }
    }
    out
}

fn value_of(position: usize, c: u8) -> Result<u32, Base45Error> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .map(|v| v as u32)
        .ok_or(Base45Error::BadCharacter {
            position,
            character: c as char,
        })
}

/// Decodes Base45 text (RFC 9285 §4). Rejects characters outside the alphabet, impossible
/// lengths and groups whose value overflows, so every text has at most one decoding.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let raw = text.as_bytes();
    if raw.len() % 3 == 1 {
        return Err(Base45Error::BadLength(raw.len()));
    }
    let mut out = Vec::with_capacity(raw.len() / 3 * 2 + 1);
    for (group, chunk) in raw.chunks(3).enumerate() {
        let at = group * 3;
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate().rev() {
            n = n * 45 + value_of(at + i, c)?;
        }
        if chunk.len() == 3 {
            if n > 0xFFFF {
                return Err(Base45Error::Overflow(at));
            }
            out.push((n >> 8) as u8);
            out.push((n & 0xFF) as u8);
        } else {
            if n > 0xFF {
                return Err(Base45Error::Overflow(at));
            }
            out.push(n as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_9285_examples() {
        // RFC 9285 §4.3 and §4.4.
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode("QED8WEX0").unwrap(), b"ietf!");
    }

    #[test]
    fn rejects_bad_text_with_its_position() {
        assert_eq!(
            decode("BB8a"),
            Err(Base45Error::BadLength(4)),
            "a lone trailing character"
        );
        assert_eq!(
            decode("BBa"),
            Err(Base45Error::BadCharacter {
                position: 2,
                character: 'a'
            })
        );
        assert_eq!(decode("GGW"), Err(Base45Error::Overflow(0)));
    }
}
