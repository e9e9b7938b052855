//! Signatures per the Standard Webhooks spec (<https://www.standardwebhooks.com/>): the receiver
//! gets `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`, which is
//! `v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the base64-decoded
//! part of the secret after `whsec_`. During a secret rotation the header carries one signature
//! per valid secret, separated by spaces; a receiver accepts the request if any one verifies.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every subscription secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";
/// Random bytes in a secret (the spec asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A fresh secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let bytes = gatehouse_db::crypto::random_bytes::<SECRET_BYTES>();
    format!("{SECRET_PREFIX}{}", BASE64.encode(bytes))
}

/// The HMAC key of a `whsec_...` secret; `None` when it is not one.
pub fn key_of(secret: &str) -> Option<Vec<u8>> {
    BASE64
        .decode(secret.strip_prefix(SECRET_PREFIX)?)
        .ok()
        .filter(|k| !k.is_empty())
}

/// One `v1,<base64>` signature.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: one signature per key, space-separated.
pub fn signature_header(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &str) -> String {
    keys.iter()
        .map(|k| sign(k, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_has_the_prefix_and_32_key_bytes() {
        let s = new_secret();
        assert!(s.starts_with("whsec_"), "{s}");
        assert_eq!(key_of(&s).unwrap().len(), 32);
        assert_ne!(new_secret(), s);
        assert!(key_of("sk_abc").is_none());
        assert!(key_of("whsec_!!!").is_none());
    }

    #[test]
    fn the_signature_matches_the_specs_example() {
        // The example of the Standard Webhooks specification.
        let key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn during_rotation_both_signatures_are_sent() {
        let a = key_of(&new_secret()).unwrap();
        let b = key_of(&new_secret()).unwrap();
        let header = signature_header(&[a.clone(), b.clone()], "msg_1", 1, "{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            vec![sign(&a, "msg_1", 1, "{}"), sign(&b, "msg_1", 1, "{}")]
        );
    }
}
