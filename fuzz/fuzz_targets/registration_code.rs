//! Typed registration codes: any text parses or gives a typed error, never a panic; a parsed
//! code prints in a form that parses back to itself.
#![no_main]

use gatehouse_core::RegistrationCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(code) = RegistrationCode::parse(text) {
            assert_eq!(RegistrationCode::parse(&code.display()), Ok(code));
        }
    }
});
