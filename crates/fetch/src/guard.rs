//! The SSRF guard: dossier fetches only http(s) URLs on public addresses.
//!
//! Feed URLs come from operators, but redirects and (later) article links come from the
//! servers being read, so a hostile feed could point dossier at a router's admin page or a
//! cloud metadata endpoint. The check runs after DNS resolution (in the resolver, so every
//! connection, every redirect hop included, goes through it) and on IP literals before any
//! request. `allow_private_addresses = true` turns it off for tests and the demo.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::Url;

/// Whether an address is one dossier must never connect to: loopback, private,
/// link-local, multicast, unspecified, broadcast, shared (CGNAT), and their IPv6 and
/// IPv4-mapped forms.
pub fn is_forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space, RFC 6598
        || a >= 240 // reserved
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_forbidden_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        let [.., c, d] = seg;
        return is_forbidden_v4(Ipv4Addr::new(
            (c >> 8) as u8,
            c as u8,
            (d >> 8) as u8,
            d as u8,
        ));
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || (seg[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

/// Checks what can be checked before DNS: the scheme, and the host when it is an IP literal.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "refused {url}: only http and https URLs are fetched"
        ));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(format!("refused {url}: no host")),
    };
    if !allow_private && is_forbidden_ip(ip) {
        return Err(format!(
            "refused {url}: {ip} is a private or reserved address (allow_private_addresses is off)"
        ));
    }
    Ok(())
}

/// The error a resolution gives when every address of a name is forbidden; the fetcher
/// finds it in the error chain and reports the fetch as refused, not as a DNS failure.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves only to private or reserved addresses ({addrs}); allow_private_addresses is off"
)]
pub struct RefusedAddress {
    pub host: String,
    pub addrs: String,
}

/// The system resolver, with forbidden addresses removed from every answer.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = all
                .iter()
                .copied()
                .filter(|a| !is_forbidden_ip(a.ip()))
                .collect();
            if allowed.is_empty() && !all.is_empty() {
                let addrs = all
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Box::new(RefusedAddress { host, addrs })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        is_forbidden_ip(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "100.64.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
        ] {
            assert!(forbidden(ip), "{ip} must be forbidden");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
            "64:ff9b::808:808",
        ] {
            assert!(!forbidden(ip), "{ip} must be allowed");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_and_literal_hosts() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(check_url(&u("ftp://example.org/x"), false).is_err());
        assert!(check_url(&u("file:///etc/passwd"), true).is_err());
        assert!(check_url(&u("http://127.0.0.1:8080/feed"), false).is_err());
        assert!(check_url(&u("http://[::1]/feed"), false).is_err());
        assert!(check_url(&u("http://127.0.0.1:8080/feed"), true).is_ok());
        assert!(check_url(&u("https://example.org/feed"), false).is_ok());
    }
}
