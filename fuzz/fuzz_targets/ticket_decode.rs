//! Any bytes, as QR text or as a ticket's binary form, give a typed error or claims: never a
//! panic. A decoded ticket must re-encode under the same key to text that decodes the same.
#![no_main]

use gatehouse_core::{EventId, EventKeys, TenantId, TicketKey};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let mut keys = EventKeys::new(TenantId(Uuid::from_u128(1)), EventId(Uuid::from_u128(2)));
    keys.insert(TicketKey::new(1, [7; 32]));
    keys.insert(TicketKey::new(2, [8; 32]));
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(claims) = keys.decode(text) {
            let again = keys.issue(&claims, [0; 12]).expect("decoded claims re-encode");
            assert_eq!(keys.decode(&again), Ok(claims));
        }
    }
    let _ = keys.decode_bytes(data);
});
