//! The SSRF guard: a webhook URL is chosen by whoever holds an API key, so without a guard the
//! server could be made to POST to its own network (a database's HTTP port, a cloud metadata
//! service at 169.254.169.254). Loopback, private, link-local, shared (CGNAT), benchmarking,
//! reserved, unspecified and multicast addresses are refused, and so are the IPv6 ranges that
//! lead to IPv4 or to a site's own network (NAT64, 6to4, Teredo, IPv4-compatible, site-local),
//! and plain `http`, unless the configuration says `webhooks_allow_private = true` (development
//! and tests).
//!
//! The delivery client ignores `HTTP(S)_PROXY`: a proxy would resolve the name itself, past the
//! guard.
//!
//! The check runs when a subscription is saved (for a clear error) and again on every request:
//! [`GuardedResolver`] filters what DNS answers, so a name that later resolves to a private
//! address (DNS rebinding) is refused at delivery time too.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::Url;

/// Whether `ip` belongs to the server's own or a private network.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let [first, second, ..] = v6.segments();
            let bits = u128::from(v6);
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || bits >> 32 == 0 // IPv4-compatible ::/96 (deprecated)
                || bits >> 32 == 0x0064_ff9b << 64 // NAT64 64:ff9b::/96
                || (first, second) == (0x0064, 0xff9b) && v6.segments()[2] == 1 // local NAT64 64:ff9b:1::/48
                || first == 0x2002 // 6to4 2002::/16
                || (first, second) == (0x2001, 0x0000) // Teredo 2001::/32
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space 100.64.0.0/10
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || a >= 240 // reserved 240.0.0.0/4 (and broadcast)
}

/// Why a URL was refused: a stable code (`invalid_url` or `private_url`) and a sentence that
/// names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal {
            code: "invalid_url",
            message,
        }
    }
}

impl From<&str> for Refusal {
    fn from(message: &str) -> Self {
        Refusal::from(message.to_owned())
    }
}

/// Checks a URL as typed by an integrator; the error names the field and the fault.
pub async fn check_url(text: &str, allow_private: bool) -> Result<Url, Refusal> {
    let url = Url::parse(text.trim()).map_err(|e| format!("`url`: {text:?} is not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => {
            return Err(Refusal::from(
                "`url`: must use https (plain http is only allowed when the server's \
                 webhooks_allow_private is set)",
            ))
        }
        other => return Err(format!("`url`: scheme {other:?} is not https").into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("`url`: must not carry a user name or password".into());
    }
    let host = url
        .host_str()
        .ok_or_else(|| Refusal::from("`url`: has no host"))?
        .to_owned();
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| format!("`url`: host {host:?} does not resolve ({e})"))?
            .collect(),
    };
    if let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
        return Err(Refusal {
            code: "private_url",
            message: format!(
                "`url`: host {host:?} is a private, loopback or link-local address ({}); \
                 webhooks go to public endpoints only (unless the server sets \
                 webhooks_allow_private)",
                bad.ip()
            ),
        });
    }
    Ok(url)
}

/// Refuses a URL whose host is a literal private address (names go through
/// [`GuardedResolver`]). Used at delivery time.
pub fn literal_host_allowed(url: &Url, allow_private: bool) -> bool {
    if allow_private {
        return true;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => !is_private(ip),
        Err(_) => true,
    }
}

/// A DNS resolver for the delivery client that drops private answers (and fails when nothing
/// public is left), unless private targets are allowed.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || !is_private(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_recognised() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip(a)), "{a}");
        }
        for a in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_private(ip(a)), "{a}");
        }
    }

    #[test]
    fn ranges_that_lead_to_ipv4_or_a_site_network_are_refused() {
        // (range, an address inside it, the nearest public address outside it)
        for (range, inside, outside) in [
            ("NAT64 64:ff9b::/96", "64:ff9b::7f00:1", "64:ff9c::7f00:1"),
            ("NAT64 64:ff9b::/96", "64:ff9b::a9fe:a9fe", "64:ff9b:0:1::1"),
            (
                "local NAT64 64:ff9b:1::/48",
                "64:ff9b:1::a00:1",
                "64:ff9b:2::a00:1",
            ),
            ("6to4 2002::/16", "2002:7f00:1::1", "2003::1"),
            ("6to4 2002::/16", "2002:a9fe:a9fe::", "2001:4860::8888"),
            ("Teredo 2001::/32", "2001:0:4136:e378::1", "2001:1::1"),
            ("IPv4-compatible ::/96", "::7f00:1", "::1:7f00:1"),
            ("IPv4-compatible ::/96", "::a9fe:a9fe", "1::a9fe:a9fe"),
            ("site-local fec0::/10", "fec0::1", "ff00::1:0"),
            ("site-local fec0::/10", "feff:ffff::1", "2a00:1450::1"),
            ("benchmarking 198.18.0.0/15", "198.18.0.1", "198.17.255.255"),
            ("benchmarking 198.18.0.0/15", "198.19.255.254", "198.20.0.1"),
            ("reserved 240.0.0.0/4", "240.0.0.1", "239.0.0.1"),
            ("reserved 240.0.0.0/4", "255.255.255.254", "223.255.255.255"),
        ] {
            assert!(is_private(ip(inside)), "{range}: {inside} is refused");
            // ff00::1:0 is multicast and 239.0.0.1 too: outside the range, refused anyway.
            if !["ff00::1:0", "239.0.0.1"].contains(&outside) {
                assert!(!is_private(ip(outside)), "{range}: {outside} is public");
            }
        }
    }

    #[tokio::test]
    async fn a_url_in_a_new_range_is_refused_when_saved() {
        for url in [
            "https://[64:ff9b::7f00:1]/hook",
            "https://[2002:7f00:1::1]/hook",
            "https://[::7f00:1]/hook",
            "https://[fec0::1]/hook",
            "https://198.18.0.1/hook",
            "https://240.0.0.1/hook",
        ] {
            let err = check_url(url, false).await.unwrap_err();
            assert_eq!(err.code, "private_url", "{url}: {err:?}");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_with_the_field_named() {
        let err = check_url("http://127.0.0.1:9/hook", false)
            .await
            .unwrap_err();
        assert!(
            err.message.starts_with("`url`") && err.message.contains("https"),
            "{err:?}"
        );
        let err = check_url("https://127.0.0.1:9/hook", false)
            .await
            .unwrap_err();
        assert_eq!(err.code, "private_url", "{err:?}");
        let err = check_url("https://[::1]/hook", false).await.unwrap_err();
        assert_eq!(err.code, "private_url", "{err:?}");
        let err = check_url("ftp://example.com/", false).await.unwrap_err();
        assert!(err.message.contains("scheme"), "{err:?}");
        assert!(check_url("not a url", false).await.is_err());
        assert!(check_url("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check_url("https://93.184.216.34/hook", false).await.is_ok());
    }

    #[tokio::test]
    async fn the_delivery_resolver_drops_private_answers() {
        use reqwest::dns::Resolve;
        let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
        let guarded = GuardedResolver {
            allow_private: false,
        };
        assert!(guarded.resolve(name("localhost")).await.is_err());
        let open = GuardedResolver {
            allow_private: true,
        };
        let found: Vec<SocketAddr> = open.resolve(name("localhost")).await.unwrap().collect();
        assert!(found.iter().all(|a| a.ip().is_loopback()), "{found:?}");
    }
}
