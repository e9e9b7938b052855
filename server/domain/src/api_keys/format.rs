//! API keys for integrators: their format, their scopes and their rate-limit tiers.
//!
//! **Format.** `ghk_` + 32 random base62 characters + 6 base62 characters of the CRC32 of those
//! 32, e.g. `ghk_4tQ…Zp0aB3c9`: 42 characters. The fixed prefix and the checksum let secret
//! scanners recognise a leaked Gatehouse key (and tell it from random text) without asking the
//! server, as GitHub's token format does; the server checks the checksum before any database
//! lookup, so mistyped keys cost nothing. Only the key's SHA-256 is stored; the key is shown
//! once, at creation. The first 12 characters (`ghk_` + 8) are kept as a display prefix.
//!
//! **Scopes.** `resource:action`, with `resource:*` for every action on a resource and `*` for
//! everything. Resources: see [`RESOURCES`]; actions: `read`, `write`.

use std::net::IpAddr;

use gatehouse_db::crypto;

/// What every Gatehouse API key starts with.
pub const KEY_PREFIX: &str = "ghk_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
/// Characters of a key shown in lists (the prefix and the first 8 random characters).
pub const DISPLAY_LEN: usize = KEY_PREFIX.len() + 8;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The resources scopes name.
pub const RESOURCES: &[&str] = &[
    "events",
    "zones",
    "checkpoints",
    "participants",
    "access-logs",
    "devices",
    "occupancy",
    "check-ins",
    "webhooks",
];
/// The actions scopes name.
pub const ACTIONS: &[&str] = &["read", "write"];

/// A fresh key.
pub fn generate() -> String {
    let random: String = crypto::random_bytes::<RANDOM_LEN>()
        .iter()
        // 62 × 4 = 248: rejecting bytes ≥ 248 would be exact; the bias of `% 62` on 256 values
        // is 4/256 per symbol, irrelevant for a 190-bit secret.
        .map(|b| BASE62[(*b as usize) % 62] as char)
        .collect();
    format!("{KEY_PREFIX}{random}{}", checksum(&random))
}

/// Six base62 characters of the CRC32 of `random`.
fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `text` has the shape and checksum of a Gatehouse key (not whether it exists).
pub fn well_formed(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(KEY_PREFIX) else {
        return false;
    };
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| BASE62.contains(&b)) {
        return false;
    }
    let (random, check) = rest.split_at(RANDOM_LEN);
    checksum(random) == check
}

/// Checks one scope as typed by an admin.
pub fn validate_scope(scope: &str) -> Result<(), String> {
    if scope == "*" {
        return Ok(());
    }
    let Some((resource, action)) = scope.split_once(':') else {
        return Err(format!(
            "scope {scope:?}: expected \"resource:action\", \"resource:*\" or \"*\""
        ));
    };
    if !RESOURCES.contains(&resource) {
        return Err(format!(
            "scope {scope:?}: unknown resource {resource:?} (known: {})",
            RESOURCES.join(", ")
        ));
    }
    if action != "*" && !ACTIONS.contains(&action) {
        return Err(format!(
            "scope {scope:?}: unknown action {action:?} (known: read, write, *)"
        ));
    }
    Ok(())
}

/// Whether the `granted` scopes allow `needed` (a concrete `resource:action`).
pub fn allows(granted: &[String], needed: &str) -> bool {
    let (resource, _) = needed.split_once(':').unwrap_or((needed, ""));
    granted.iter().any(|g| {
        g == "*"
            || g == needed
            || g.strip_suffix(":*")
                .is_some_and(|granted_resource| granted_resource == resource)
    })
}

/// The concrete scopes (`resource:action`) a valid scope stands for: itself, every action of a
/// resource for `resource:*`, everything for `*`.
pub fn expand(scope: &str) -> Vec<String> {
    let every = |resource: &str| {
        ACTIONS
            .iter()
            .map(|action| format!("{resource}:{action}"))
            .collect::<Vec<_>>()
    };
    match scope.split_once(':') {
        _ if scope == "*" => RESOURCES.iter().flat_map(|r| every(r)).collect(),
        Some((resource, "*")) => every(resource),
        _ => vec![scope.to_owned()],
    }
}

/// Reads a CIDR block (`203.0.113.0/24`, `2001:db8::/32`) or a single address; returns the
/// network address and prefix length.
pub fn parse_cidr(text: &str) -> Result<(IpAddr, u8), String> {
    let bad = || format!("{text:?} is not an address or a CIDR block like 203.0.113.0/24");
    let (addr, bits) = match text.trim().split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text.trim(), None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(bad)?,
        None => max,
    };
    Ok((addr, bits))
}

fn in_block(ip: IpAddr, block: IpAddr, bits: u8) -> bool {
    let (ip, block, width) = match (ip, block) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    shift >= width || (ip >> shift) == (block >> shift)
}

/// Whether a key limited to `allowed` (CIDR blocks; empty: anywhere) may be used from `ip`.
/// IPv4 clients reaching an IPv6 socket (`::ffff:a.b.c.d`) are matched as IPv4.
pub fn ip_allowed(allowed: &[String], ip: IpAddr) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    allowed
        .iter()
        .filter_map(|b| parse_cidr(b).ok())
        .any(|(block, bits)| in_block(ip, block, bits))
}

/// Rate-limit tiers, requests per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Standard,
    Elevated,
    Premium,
    Custom(u32),
}

impl Tier {
    pub fn parse(name: &str, custom_per_minute: Option<u32>) -> Result<Tier, String> {
        match (name, custom_per_minute) {
            ("STANDARD", None) => Ok(Tier::Standard),
            ("ELEVATED", None) => Ok(Tier::Elevated),
            ("PREMIUM", None) => Ok(Tier::Premium),
            ("CUSTOM", Some(n)) if (1..=100_000).contains(&n) => Ok(Tier::Custom(n)),
            ("CUSTOM", _) => {
                Err("tier CUSTOM needs rate_limit_per_minute between 1 and 100000".to_owned())
            }
            ("STANDARD" | "ELEVATED" | "PREMIUM", Some(_)) => {
                Err("rate_limit_per_minute is only for tier CUSTOM".to_owned())
            }
            (other, _) => Err(format!(
                "unknown tier {other:?} (known: STANDARD, ELEVATED, PREMIUM, CUSTOM)"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Standard => "STANDARD",
            Tier::Elevated => "ELEVATED",
            Tier::Premium => "PREMIUM",
            Tier::Custom(_) => "CUSTOM",
        }
    }

    pub fn per_minute(self) -> u32 {
        match self {
            Tier::Standard => 100,
            Tier::Elevated => 500,
            Tier::Premium => 2_000,
            Tier::Custom(n) => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_has_the_prefix_length_and_a_valid_checksum() {
        for _ in 0..200 {
            let key = generate();
            assert_eq!(key.len(), 42, "{key}");
            assert!(key.starts_with("ghk_"));
            assert!(well_formed(&key), "{key}");
        }
    }

    #[test]
    fn a_mistyped_or_foreign_key_fails_the_checksum() {
        let key = generate();
        // Change one character of the random part to another base62 character.
        let mut bytes = key.clone().into_bytes();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert!(!well_formed(&typo));
        assert!(!well_formed(&key[..41]));
        assert!(!well_formed(&format!("ghp_{}", &key[4..])));
        assert!(!well_formed(""));
        assert!(!well_formed("ghk_ééééééééééééééééééééééééééééééééééééé"));
    }

    #[test]
    fn wildcards_grant_a_resource_or_everything() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(allows(&s(&["events:read"]), "events:read"));
        assert!(!allows(&s(&["events:read"]), "events:write"));
        assert!(!allows(&s(&["events:read"]), "participants:read"));
        assert!(allows(&s(&["events:*"]), "events:write"));
        assert!(!allows(&s(&["events:*"]), "eventsx:read"));
        assert!(allows(&s(&["*"]), "access-logs:read"));
        assert!(!allows(&s(&[]), "events:read"));
    }

    #[test]
    fn wildcards_expand_to_the_concrete_scopes_they_grant() {
        assert_eq!(expand("events:read"), ["events:read"]);
        assert_eq!(expand("events:*"), ["events:read", "events:write"]);
        let all = expand("*");
        assert_eq!(all.len(), RESOURCES.len() * ACTIONS.len());
        assert!(all.contains(&"webhooks:write".to_owned()));
    }

    #[test]
    fn scopes_are_checked_with_a_message_naming_the_fault() {
        assert!(validate_scope("*").is_ok());
        assert!(validate_scope("participants:*").is_ok());
        assert!(validate_scope("check-ins:write").is_ok());
        assert!(validate_scope("tickets:read")
            .unwrap_err()
            .contains("unknown resource"));
        assert!(validate_scope("events:delete")
            .unwrap_err()
            .contains("unknown action"));
        assert!(validate_scope("events")
            .unwrap_err()
            .contains("resource:action"));
    }

    #[test]
    fn an_allow_list_admits_addresses_inside_its_blocks_only() {
        let list = vec![
            "10.0.0.0/8".to_owned(),
            "2001:db8::/32".to_owned(),
            "192.0.2.7".to_owned(),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(ip_allowed(&list, ip("10.200.3.4")));
        assert!(
            ip_allowed(&list, ip("::ffff:10.1.2.3")),
            "IPv4 through an IPv6 socket"
        );
        assert!(ip_allowed(&list, ip("2001:db8:1::5")));
        assert!(ip_allowed(&list, ip("192.0.2.7")));
        assert!(!ip_allowed(&list, ip("192.0.2.8")));
        assert!(!ip_allowed(&list, ip("11.0.0.1")));
        assert!(ip_allowed(&[], ip("203.0.113.9")), "no list: anywhere");
        assert!(ip_allowed(&["0.0.0.0/0".to_owned()], ip("203.0.113.9")));
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("example.org").is_err());
    }

    #[test]
    fn tiers_carry_their_limits_and_custom_needs_one() {
        assert_eq!(Tier::parse("STANDARD", None).unwrap().per_minute(), 100);
        assert_eq!(Tier::parse("ELEVATED", None).unwrap().per_minute(), 500);
        assert_eq!(Tier::parse("PREMIUM", None).unwrap().per_minute(), 2_000);
        assert_eq!(Tier::parse("CUSTOM", Some(42)).unwrap().per_minute(), 42);
        assert!(Tier::parse("CUSTOM", None).is_err());
        assert!(Tier::parse("STANDARD", Some(5)).is_err());
        assert!(Tier::parse("GOLD", None).is_err());
    }
}
