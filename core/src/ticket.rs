//! The ticket printed in a badge's QR code.
//!
//! Binary layout, version 1 (61 bytes, 92 Base45 characters: a QR code of version 5 at error
//! correction M holds 154 alphanumeric characters):
//!
//! ```text
//! offset size
//!      0    1  version (1)
//!      1    2  key id, big-endian: which of the event's keys sealed it
//!      3    4  event tag: CRC32 of tenant id ‖ event id, so a ticket of another event is named
//!              as such before any decryption (the binding itself is the associated data)
//!      7   12  AES-GCM nonce
//!     19   22  ciphertext of: participant id (16) ‖ issued at, Unix seconds (4) ‖ credential seq (2)
//!     41   16  GCM tag
//!     57    4  CRC32 of bytes 0..57, big-endian: a misread is rejected before decryption
//! ```
//!
//! Associated data: version ‖ key id ‖ tenant id ‖ event id. A ticket authenticates only under
//! the key it names *and* for the tenant and event it was issued for.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

use crate::base45::{self, Base45Error};
use crate::domain::{EventId, Millis, ParticipantId, TenantId};

pub const TICKET_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 2 + 4;
const NONCE_LEN: usize = 12;
const PLAINTEXT_LEN: usize = 16 + 4 + 2;
const TAG_LEN: usize = 16;
const CRC_LEN: usize = 4;
/// Bytes in a version 1 ticket.
pub const TICKET_LEN: usize = HEADER_LEN + NONCE_LEN + PLAINTEXT_LEN + TAG_LEN + CRC_LEN;
/// Characters in a version 1 ticket's text form.
pub const TICKET_TEXT_LEN: usize = TICKET_LEN / 2 * 3 + (TICKET_LEN % 2) * 2;

/// What a ticket says once it has authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketClaims {
    pub participant_id: ParticipantId,
    /// When the ticket was issued, whole seconds (stored as Unix seconds).
    pub issued_at: Millis,
    /// The participant's credential sequence when issued; a reissue raises it.
    pub credential_seq: u16,
}

/// Why a text is not a ticket of this event. Each has a stable [`code`](TicketError::code).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TicketError {
    #[error("not ticket text: {0}")]
    BadText(#[from] Base45Error),
    #[error("a ticket has {expected} bytes, this one has {actual}")]
    WrongLength { expected: usize, actual: usize },
    #[error("checksum mismatch: the code was misread or altered")]
    BadCrc,
    #[error("ticket format version {0} is not supported")]
    UnsupportedVersion(u8),
    #[error("the ticket is for another event")]
    WrongEvent,
    #[error("the ticket was sealed with key {0}, which this ring does not hold")]
    UnknownKey(u16),
    #[error("the ticket failed authentication: forged or sealed for another event")]
    AuthenticationFailed,
    #[error("the ticket's issue time cannot be stored in the ticket format")]
    IssueTimeOutOfRange,
}

impl TicketError {
    /// A stable machine code, the same in logs, the API and the UI's translation table.
    pub fn code(&self) -> &'static str {
        match self {
            TicketError::BadText(_) => "bad_text",
            TicketError::WrongLength { .. } => "wrong_length",
            TicketError::BadCrc => "bad_crc",
            TicketError::UnsupportedVersion(_) => "unsupported_version",
            TicketError::WrongEvent => "wrong_event",
            TicketError::UnknownKey(_) => "unknown_key",
            TicketError::AuthenticationFailed => "authentication_failed",
            TicketError::IssueTimeOutOfRange => "issue_time_out_of_range",
        }
    }
}

/// One AES-256 key of an event. Its bytes never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct TicketKey {
    pub id: u16,
    secret: [u8; 32],
}

impl std::fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl TicketKey {
    pub fn new(id: u16, secret: [u8; 32]) -> Self {
        TicketKey { id, secret }
    }

    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// The secret as 64 lowercase hex digits (how keys travel in the sync feed).
    pub fn secret_hex(&self) -> String {
        self.secret.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a secret written by [`TicketKey::secret_hex`].
    pub fn from_hex(id: u16, hex: &str) -> Option<Self> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut secret = [0u8; 32];
        for (i, byte) in secret.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).ok()?;
        }
        Some(TicketKey { id, secret })
    }
}

/// The keys of one event: tickets are sealed with the newest, and every key still in the ring
/// opens the tickets it sealed, so rotating keys never invalidates printed badges.
#[derive(Debug, Clone)]
pub struct EventKeys {
    pub tenant_id: TenantId,
    pub event_id: EventId,
    keys: Vec<TicketKey>,
}

impl EventKeys {
    pub fn new(tenant_id: TenantId, event_id: EventId) -> Self {
        EventKeys {
            tenant_id,
            event_id,
            keys: Vec::new(),
        }
    }

    /// Adds a key, replacing one with the same id.
    pub fn insert(&mut self, key: TicketKey) {
        self.keys.retain(|k| k.id != key.id);
        self.keys.push(key);
        self.keys.sort_by_key(|k| k.id);
    }

    /// Removes a retired key: tickets it sealed become `unknown_key`.
    pub fn remove(&mut self, key_id: u16) {
        self.keys.retain(|k| k.id != key_id);
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn keys(&self) -> &[TicketKey] {
        &self.keys
    }

    /// The key new tickets are sealed with: the highest id.
    pub fn current(&self) -> Option<&TicketKey> {
        self.keys.last()
    }

    fn event_tag(&self) -> [u8; 4] {
        let mut h = crc32fast::Hasher::new();
        h.update(self.tenant_id.0.as_bytes());
        h.update(self.event_id.0.as_bytes());
        h.finalize().to_be_bytes()
    }

    fn associated_data(&self, version: u8, key_id: u16) -> [u8; 35] {
        let mut aad = [0u8; 35];
        aad[0] = version;
        aad[1..3].copy_from_slice(&key_id.to_be_bytes());
        aad[3..19].copy_from_slice(self.tenant_id.0.as_bytes());
        aad[19..35].copy_from_slice(self.event_id.0.as_bytes());
        aad
    }

    /// Seals a ticket with the current key. `nonce` must be fresh random bytes for every ticket
    /// (AES-GCM's security rests on never repeating a nonce under one key); core draws no
    /// randomness itself, so the caller passes it.
    pub fn issue(&self, claims: &TicketClaims, nonce: [u8; 12]) -> Result<String, TicketError> {
        let key = self.current().ok_or(TicketError::UnknownKey(0))?;
        self.issue_with(key, claims, nonce)
    }

    /// Seals a ticket with a given key of the ring.
    pub fn issue_with(
        &self,
        key: &TicketKey,
        claims: &TicketClaims,
        nonce: [u8; 12],
    ) -> Result<String, TicketError> {
        let seconds = u32::try_from(claims.issued_at.div_euclid(1000))
            .map_err(|_| TicketError::IssueTimeOutOfRange)?;
        let mut plaintext = [0u8; PLAINTEXT_LEN];
        plaintext[..16].copy_from_slice(claims.participant_id.0.as_bytes());
        plaintext[16..20].copy_from_slice(&seconds.to_be_bytes());
        plaintext[20..22].copy_from_slice(&claims.credential_seq.to_be_bytes());

        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.secret()));
        let aad = self.associated_data(TICKET_VERSION, key.id);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| TicketError::AuthenticationFailed)?;

        let mut bytes = Vec::with_capacity(TICKET_LEN);
        bytes.push(TICKET_VERSION);
        bytes.extend_from_slice(&key.id.to_be_bytes());
        bytes.extend_from_slice(&self.event_tag());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_be_bytes());
        debug_assert_eq!(bytes.len(), TICKET_LEN);
        Ok(base45::encode(&bytes))
    }

    /// Reads a ticket's text. Line endings a hand scanner adds are ignored; anything else that
    /// is not a ticket of this event under a key of this ring is a typed error, never a panic.
    pub fn decode(&self, text: &str) -> Result<TicketClaims, TicketError> {
        let text = text.trim_end_matches(['\r', '\n']);
        let bytes = base45::decode(text)?;
        self.decode_bytes(&bytes)
    }

    /// Reads a ticket's binary form (see the module documentation).
    pub fn decode_bytes(&self, bytes: &[u8]) -> Result<TicketClaims, TicketError> {
        if bytes.len() < HEADER_LEN + CRC_LEN {
            return Err(TicketError::WrongLength {
                expected: TICKET_LEN,
                actual: bytes.len(),
            });
        }
        let (body, crc) = bytes.split_at(bytes.len() - CRC_LEN);
        if crc32fast::hash(body).to_be_bytes() != crc {
            return Err(TicketError::BadCrc);
        }
        if body[0] != TICKET_VERSION {
            return Err(TicketError::UnsupportedVersion(body[0]));
        }
        if bytes.len() != TICKET_LEN {
            return Err(TicketError::WrongLength {
                expected: TICKET_LEN,
                actual: bytes.len(),
            });
        }
        let key_id = u16::from_be_bytes([body[1], body[2]]);
        if body[3..7] != self.event_tag() {
            return Err(TicketError::WrongEvent);
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(TicketError::UnknownKey(key_id))?;
        let nonce = &body[HEADER_LEN..HEADER_LEN + NONCE_LEN];
        let sealed = &body[HEADER_LEN + NONCE_LEN..];
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.secret()));
        let aad = self.associated_data(TICKET_VERSION, key_id);
        let plaintext = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| TicketError::AuthenticationFailed)?;
        let participant =
            Uuid::from_slice(&plaintext[..16]).map_err(|_| TicketError::AuthenticationFailed)?;
        let seconds =
            u32::from_be_bytes([plaintext[16], plaintext[17], plaintext[18], plaintext[19]]);
        let seq = u16::from_be_bytes([plaintext[20], plaintext[21]]);
        Ok(TicketClaims {
            participant_id: ParticipantId(participant),
            issued_at: seconds as Millis * 1000,
            credential_seq: seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(tenant: u128, event: u128, key_ids: &[u16]) -> EventKeys {
        let mut r = EventKeys::new(
            TenantId(Uuid::from_u128(tenant)),
            EventId(Uuid::from_u128(event)),
        );
        for &id in key_ids {
            r.insert(TicketKey::new(id, [id as u8; 32]));
        }
        r
    }

    fn claims() -> TicketClaims {
        TicketClaims {
            participant_id: ParticipantId(Uuid::from_u128(0xfeed)),
            issued_at: 1_790_000_000_000,
            credential_seq: 3,
        }
    }

    #[test]
    fn a_ticket_round_trips_and_has_the_documented_length() {
        let r = ring(1, 2, &[1]);
        let text = r.issue(&claims(), [7; 12]).unwrap();
        assert_eq!(text.len(), TICKET_TEXT_LEN);
        assert_eq!(TICKET_TEXT_LEN, 92);
        assert_eq!(r.decode(&text).unwrap(), claims());
        assert_eq!(r.decode(&format!("{text}\r\n")).unwrap(), claims());
    }

    #[test]
    fn rotation_keeps_old_badges_valid_and_seals_new_ones_with_the_new_key() {
        let mut r = ring(1, 2, &[1]);
        let old = r.issue(&claims(), [1; 12]).unwrap();
        r.insert(TicketKey::new(2, [9; 32]));
        let new = r.issue(&claims(), [2; 12]).unwrap();
        assert_eq!(r.decode(&old).unwrap(), claims());
        assert_eq!(r.decode(&new).unwrap(), claims());
        let bytes = base45::decode(&new).unwrap();
        assert_eq!(u16::from_be_bytes([bytes[1], bytes[2]]), 2);
        r.remove(1);
        assert_eq!(r.decode(&old), Err(TicketError::UnknownKey(1)));
    }

    #[test]
    fn each_failure_has_its_own_error() {
        let r = ring(1, 2, &[1]);
        let text = r.issue(&claims(), [7; 12]).unwrap();
        let good = base45::decode(&text).unwrap();

        assert!(matches!(r.decode("hello"), Err(TicketError::BadText(_))));
        assert_eq!(
            r.decode_bytes(&good[..3]),
            Err(TicketError::WrongLength {
                expected: TICKET_LEN,
                actual: 3
            })
        );

        let mut flipped = good.clone();
        flipped[30] ^= 1;
        assert_eq!(r.decode_bytes(&flipped), Err(TicketError::BadCrc));

        let with_crc = |mut b: Vec<u8>| {
            let n = b.len() - 4;
            let crc = crc32fast::hash(&b[..n]).to_be_bytes();
            b[n..].copy_from_slice(&crc);
            b
        };
        let mut v2 = good.clone();
        v2[0] = 2;
        assert_eq!(
            r.decode_bytes(&with_crc(v2)),
            Err(TicketError::UnsupportedVersion(2))
        );

        let mut forged = good.clone();
        forged[25] ^= 0x40;
        assert_eq!(
            r.decode_bytes(&with_crc(forged)),
            Err(TicketError::AuthenticationFailed)
        );

        assert_eq!(ring(1, 3, &[1]).decode(&text), Err(TicketError::WrongEvent));
        assert_eq!(
            ring(1, 2, &[5]).decode(&text),
            Err(TicketError::UnknownKey(1))
        );
    }

    #[test]
    fn a_forged_event_tag_still_fails_authentication() {
        // The tag only names the event; the associated data is what binds it.
        let a = ring(1, 2, &[1]);
        let b = ring(1, 3, &[1]);
        let mut bytes = base45::decode(&a.issue(&claims(), [7; 12]).unwrap()).unwrap();
        bytes[3..7].copy_from_slice(&b.event_tag());
        let n = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..n]).to_be_bytes();
        bytes[n..].copy_from_slice(&crc);
        assert_eq!(
            b.decode_bytes(&bytes),
            Err(TicketError::AuthenticationFailed)
        );
    }

    #[test]
    fn secrets_travel_as_hex_and_never_print() {
        let k = TicketKey::new(4, [0xab; 32]);
        assert_eq!(TicketKey::from_hex(4, &k.secret_hex()), Some(k.clone()));
        assert_eq!(TicketKey::from_hex(4, "zz"), None);
        assert!(!format!("{k:?}").contains("ab"));
    }
}
