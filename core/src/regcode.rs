//! Registration codes: the short code printed under the QR, typed by hand when a badge will not
//! scan (a cracked phone screen, a faded print).
//!
//! Eight data characters and one check character from a 31-letter alphabet with no look-alikes
//! (no 0/O, 1/I/L), printed in groups of three: `K7M-4QX-9PT`. The check character makes the
//! weighted sum Σ i·xᵢ (i = 1..9) divisible by 31. Since 31 is prime and every weight is below it,
//! any single wrong character changes the sum by i·δ ≢ 0, and swapping two different neighbours
//! changes it by ±(xᵢ − xᵢ₊₁) ≢ 0: both are always caught.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The symbols, in value order.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const MODULUS: u32 = 31;
/// Data characters in a code.
pub const DATA_LEN: usize = 8;
/// Characters in a code, check character included.
pub const CODE_LEN: usize = DATA_LEN + 1;

/// A registration code whose check character is right, in canonical form (`K7M4QX9PT`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegistrationCode(String);

/// Why typed text is not a registration code; each says what to tell the person typing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistrationCodeError {
    #[error("a registration code has {CODE_LEN} characters, this has {0}")]
    WrongLength(usize),
    #[error("{character:?} (character {position}) is not used in registration codes{hint}")]
    BadCharacter {
        position: usize,
        character: char,
        hint: &'static str,
    },
    #[error("the code has a typo: its check character does not match")]
    CheckFailed,
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|v| v as u32)
}

fn weighted_sum(values: impl Iterator<Item = u32>) -> u32 {
    values
        .enumerate()
        .map(|(i, v)| (i as u32 + 1) * v)
        .sum::<u32>()
        % MODULUS
}

/// The inverse of `DATA_LEN + 1` modulo 31, found once by search (31 is prime, so it exists).
fn check_weight_inverse() -> u32 {
    let w = CODE_LEN as u32;
    (1..MODULUS).find(|x| (w * x) % MODULUS == 1).unwrap_or(1)
}

impl RegistrationCode {
    /// Makes a code from 8 random bytes' worth of entropy (`random` comes from the caller: core
    /// draws no randomness). Each byte picks one data character.
    pub fn generate(random: [u8; DATA_LEN]) -> Self {
        let data: Vec<u32> = random.iter().map(|b| *b as u32 % MODULUS).collect();
        let partial = weighted_sum(data.iter().copied());
        // Need partial + CODE_LEN·c ≡ 0 (mod 31).
        let check = ((MODULUS - partial) % MODULUS) * check_weight_inverse() % MODULUS;
        let text = data
            .iter()
            .chain(std::iter::once(&check))
            .map(|&v| ALPHABET[v as usize] as char)
            .collect();
        RegistrationCode(text)
    }

    /// Reads a code as a person typed it: case, spaces and dashes do not matter.
    pub fn parse(typed: &str) -> Result<Self, RegistrationCodeError> {
        let cleaned: Vec<(usize, char)> = typed
            .chars()
            .enumerate()
            .filter(|(_, c)| !c.is_whitespace() && *c != '-')
            .map(|(i, c)| (i + 1, c.to_ascii_uppercase()))
            .collect();
        if cleaned.len() != CODE_LEN {
            return Err(RegistrationCodeError::WrongLength(cleaned.len()));
        }
        let mut values = Vec::with_capacity(CODE_LEN);
        for &(position, c) in &cleaned {
            let v = if c.is_ascii() {
                value_of(c as u8)
            } else {
                None
            };
            match v {
                Some(v) => values.push(v),
                None => {
                    let hint = match c {
                        '0' | 'O' => " (codes have no 0 or O)",
                        '1' | 'I' | 'L' => " (codes have no 1, I or L)",
                        _ => "",
                    };
                    return Err(RegistrationCodeError::BadCharacter {
                        position,
                        character: c,
                        hint,
                    });
                }
            }
        }
        if weighted_sum(values.iter().copied()) != 0 {
            return Err(RegistrationCodeError::CheckFailed);
        }
        Ok(RegistrationCode(cleaned.iter().map(|(_, c)| c).collect()))
    }

    /// The canonical form, as stored and looked up.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The printed form, in groups of three: `K7M-4QX-9PT`.
    pub fn display(&self) -> String {
        let b = self.0.as_str();
        format!("{}-{}-{}", &b[0..3], &b[3..6], &b[6..9])
    }
}

impl std::fmt::Display for RegistrationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl TryFrom<String> for RegistrationCode {
    type Error = RegistrationCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegistrationCode::parse(&s)
    }
}

impl From<RegistrationCode> for String {
    fn from(c: RegistrationCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_no_look_alikes() {
        for c in b"01OIL" {
            assert!(!ALPHABET.contains(c), "{}", *c as char);
        }
        assert_eq!(ALPHABET.len() as u32, MODULUS);
    }

    #[test]
    fn generated_codes_parse_in_any_typed_form() {
        let code = RegistrationCode::generate([3, 200, 17, 99, 250, 0, 42, 128]);
        assert_eq!(code.as_str().len(), CODE_LEN);
        let printed = code.display();
        assert_eq!(RegistrationCode::parse(&printed).unwrap(), code);
        assert_eq!(
            RegistrationCode::parse(&printed.to_lowercase().replace('-', " ")).unwrap(),
            code
        );
    }

    #[test]
    fn every_single_typo_and_every_adjacent_swap_is_caught() {
        for seed in 0u8..40 {
            let code =
                RegistrationCode::generate([seed, seed.wrapping_mul(7), 3, 9, seed, 77, 1, 200]);
            let chars: Vec<u8> = code.as_str().bytes().collect();
            for i in 0..CODE_LEN {
                for &sub in ALPHABET {
                    if sub == chars[i] {
                        continue;
                    }
                    let mut typo = chars.clone();
                    typo[i] = sub;
                    let text = String::from_utf8(typo).unwrap();
                    assert_eq!(
                        RegistrationCode::parse(&text),
                        Err(RegistrationCodeError::CheckFailed),
                        "{text} (from {code})"
                    );
                }
                if i + 1 < CODE_LEN && chars[i] != chars[i + 1] {
                    let mut swapped = chars.clone();
                    swapped.swap(i, i + 1);
                    let text = String::from_utf8(swapped).unwrap();
                    assert_eq!(
                        RegistrationCode::parse(&text),
                        Err(RegistrationCodeError::CheckFailed),
                        "{text} (from {code})"
                    );
                }
            }
        }
    }

    #[test]
    fn look_alikes_are_named_in_the_error() {
        let err = RegistrationCode::parse("K7M-4QX-9P0").unwrap_err();
        assert!(err.to_string().contains("no 0 or O"), "{err}");
        assert_eq!(
            RegistrationCode::parse("K7M-4QX"),
            Err(RegistrationCodeError::WrongLength(6))
        );
    }
}
