//! The server's secrets: the master key that seals ticket keys at rest, random tokens stored only
//! as SHA-256 digests (device tokens, pairing codes, admin sessions: ≥ 128 bits of randomness, so
//! a fast digest is enough), and argon2 for the one thing people choose themselves, passwords.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Characters of a pairing code: no look-alikes (0/O, 1/I/L), easy to type on a kiosk.
const PAIRING_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters in a pairing code (log2 31 ≈ 4.95 bits each, about 79 bits of randomness).
const PAIRING_CODE_LEN: usize = 16;

#[derive(Debug, Error)]
pub enum CryptoError {
    #[error("master key file {path}: {message}")]
    KeyFile { path: String, message: String },
    #[error("a sealed secret failed to open: wrong master key or damaged data")]
    Unseal,
}

/// The key every ticket key is sealed under.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// From 64 hex digits (the `master_key` setting, already validated).
    pub fn from_hex(hex: &str) -> Option<Self> {
        decode_hex(hex)?.try_into().ok().map(MasterKey)
    }

    /// Reads `path`, or creates it with a fresh key and mode 0600 when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let err = |message: String| CryptoError::KeyFile {
            path: path.display().to_string(),
            message,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => MasterKey::from_hex(text.trim())
                .ok_or_else(|| err("does not hold 64 hex digits".into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                write_private(path, &encode_hex(&key)).map_err(|e| err(e.to_string()))?;
                Ok(MasterKey(key))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Seals `plain` as hex of nonce ‖ ciphertext.
    pub fn seal(&self, plain: &[u8]) -> String {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        let nonce = random_bytes::<12>();
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        encode_hex(&out)
    }

    pub fn open(&self, sealed_hex: &str) -> Result<Vec<u8>, CryptoError> {
        let bytes = decode_hex(sealed_hex).ok_or(CryptoError::Unseal)?;
        if bytes.len() < 12 + 16 {
            return Err(CryptoError::Unseal);
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        cipher
            .decrypt(Nonce::from_slice(&bytes[..12]), &bytes[12..])
            .map_err(|_| CryptoError::Unseal)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// A bearer token: 32 random bytes as hex, with a prefix that says what it is (`ghd_` device,
/// `ghs_` session) so a leaked one is recognisable in logs and scanners.
pub fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", encode_hex(&random_bytes::<32>()))
}

/// A pairing code a person can type: 16 characters in groups of four (`K7MQ-4QXA-9PTR-HW3C`).
pub fn new_pairing_code() -> String {
    let raw = random_bytes::<PAIRING_CODE_LEN>();
    let chars: Vec<char> = raw
        .iter()
        .map(|b| PAIRING_ALPHABET[(*b as usize) % 31] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Pairing codes are compared without dashes, spaces or case.
pub fn normalize_pairing_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What is stored for a token: SHA-256, hex.
pub fn digest(token: &str) -> String {
    encode_hex(&Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_under_its_master_key() {
        let a = MasterKey([1; 32]);
        let b = MasterKey([2; 32]);
        let sealed = a.seal(b"ticket key");
        assert_eq!(a.open(&sealed).unwrap(), b"ticket key");
        assert!(b.open(&sealed).is_err());
        assert!(a.open("zz").is_err());
    }

    #[test]
    fn the_master_key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("gh-mk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("master.key");
        let _ = std::fs::remove_file(&path);
        let first = MasterKey::load_or_create(&path).unwrap();
        let again = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn passwords_verify_and_wrong_ones_do_not() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn pairing_codes_are_typed_forgivingly() {
        let code = new_pairing_code();
        assert_eq!(code.len(), 19);
        assert_eq!(
            normalize_pairing_code(&code.to_lowercase()),
            code.replace('-', "")
        );
    }
}
