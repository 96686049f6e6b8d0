//! The private-network guard: which addresses briefwatch may connect to, for feeds, pages,
//! webhooks and the mail server alike.
//!
//! A target is checked twice: its URL before anything is sent (scheme, IP literals), and the
//! addresses its name resolves to, so that only checked addresses are ever connected to. Loopback,
//! private, link-local, CGNAT, multicast, unspecified and reserved ranges are refused, as are IPv6
//! forms that embed such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
//! `fetch.allow_private_networks` and `fetch.allow_hosts` are the escapes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::Url;

use crate::config::{AllowedHost, FetchConfig};

/// Why a target was refused before (or instead of) connecting to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The URL's scheme is not http or https.
    #[error("scheme {scheme:?} is not fetched")]
    Scheme {
        /// The scheme.
        scheme: String,
    },
    /// The target (URL, or host name when DNS resolved only private addresses) is on a loopback,
    /// private or link-local network that the config does not allow.
    #[error(
        "{target} is a loopback, private or link-local address; set fetch.allow_private_networks = true or list it in fetch.allow_hosts"
    )]
    PrivateNetwork {
        /// The URL or host name.
        target: String,
    },
}

/// A host name that could not be turned into allowed addresses.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Every address it resolved to is refused by the policy.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The lookup itself failed.
    #[error("cannot resolve {host}: {source}")]
    Lookup {
        /// The host name.
        host: String,
        /// What the resolver said.
        #[source]
        source: std::io::Error,
    },
}

/// Which network targets may be contacted: `fetch.allow_private_networks` and
/// `fetch.allow_hosts`.
#[derive(Debug, Clone)]
pub struct NetPolicy {
    pub(super) allow_private: bool,
    pub(super) allow_hosts: Vec<AllowedHost>,
}

impl NetPolicy {
    /// The policy `[fetch]` describes.
    pub fn new(cfg: &FetchConfig) -> NetPolicy {
        NetPolicy {
            allow_private: cfg.allow_private_networks,
            allow_hosts: cfg.allow_hosts.clone(),
        }
    }

    /// Checks an URL before any connection: scheme, and IP literals against the private ranges.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refusal::Scheme {
                scheme: url.scheme().to_string(),
            });
        }
        if self.allow_private || self.allow_hosts.iter().any(|a| a.matches(url)) {
            return Ok(());
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(a)) => IpAddr::V4(a),
            Some(url::Host::Ipv6(a)) => IpAddr::V6(a),
            Some(url::Host::Domain(d)) if is_localhost_name(d) => {
                return Err(private_network(url.as_str()));
            }
            _ => return Ok(()),
        };
        if is_public(ip) {
            Ok(())
        } else {
            Err(private_network(url.as_str()))
        }
    }

    /// Whether `host` (on `port`, when known) is exempt from the address check.
    fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.allow_private
            || self.allow_hosts.iter().any(|a| {
                a.host
                    .eq_ignore_ascii_case(host.trim_start_matches('[').trim_end_matches(']'))
                    && (port.is_none() || a.port.is_none() || a.port == port)
            })
    }

    /// Resolves `host` and keeps the addresses the policy allows; the caller connects to those
    /// and nothing else. Refused when none is left.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
        self.resolve_inner(host, port, Some(port)).await
    }

    async fn resolve_inner(
        &self,
        host: &str,
        port: u16,
        allow_port: Option<u16>,
    ) -> Result<Vec<SocketAddr>, ResolveError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
            .await
            .map_err(|source| ResolveError::Lookup {
                host: host.to_string(),
                source,
            })?
            .collect();
        if self.host_allowed(bare, allow_port) {
            return Ok(addrs);
        }
        let public: Vec<_> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
        if public.is_empty() {
            return Err(private_network(host).into());
        }
        Ok(public)
    }
}

fn private_network(target: &str) -> Refusal {
    Refusal::PrivateNetwork {
        target: target.to_string(),
    }
}

/// `localhost` and its subdomains (RFC 6761: they resolve to loopback).
fn is_localhost_name(d: &str) -> bool {
    let d = d.trim_end_matches('.').to_ascii_lowercase();
    d == "localhost" || d.ends_with(".localhost")
}

/// Whether an address is on the public internet (not loopback, private, link-local, CGNAT,
/// multicast, reserved, documentation, nor an IPv6 form of such an IPv4 address).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let o = a.octets();
    !(a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o[0] == 0
        // 100.64.0.0/10: carrier-grade NAT.
        || (o[0] == 100 && (o[1] & 0xc0) == 64)
        // 192.0.0.0/24: IETF protocol assignments; 192.88.99.0/24: 6to4 relays.
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 192 && o[1] == 88 && o[2] == 99)
        // 198.18.0.0/15: benchmarking.
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
        || o[0] >= 240)
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = a.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if a.is_loopback() || a.is_unspecified() || a.is_multicast() {
        return false;
    }
    // ::a.b.c.d, IPv4-compatible (deprecated, but still routed to the IPv4 address by some stacks).
    if s[..6].iter().all(|&x| x == 0) {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // 64:ff9b::/96: NAT64 well-known prefix; the IPv4 address is the last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded(s[6], s[7]));
    }
    // 2002::/16: 6to4; the IPv4 address follows the prefix.
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    !(
        // 64:ff9b:1::/48: NAT64 for local use.
        (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
        // 100::/64: discard-only.
        || (s[0] == 0x100 && s[1] == 0 && s[2] == 0 && s[3] == 0)
        // 2001::/32: Teredo (an obfuscated IPv4 client inside); 2001:db8::/32: documentation.
        || (s[0] == 0x2001 && (s[1] == 0 || s[1] == 0x0db8))
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 site-local (deprecated).
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
    )
}

/// DNS resolution for the HTTP client that drops refused addresses unless the host is allowed.
pub(super) struct GuardedResolver {
    pub(super) policy: std::sync::Arc<NetPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            // reqwest does not pass the port: an `allow_hosts` entry with a port is matched on
            // its host here, and on host and port by `check_url` before the request.
            let addrs = policy
                .resolve_inner(&host, 0, None)
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.0.8",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
            "2001:db8::1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in [
            "93.184.216.34",
            "2606:2800:220:1::1",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
        ] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    fn policy(allow_hosts: Vec<AllowedHost>) -> NetPolicy {
        NetPolicy {
            allow_private: false,
            allow_hosts,
        }
    }

    #[test]
    fn url_check_refuses_private_literals_unless_allowed() {
        let p = policy(vec![AllowedHost {
            host: "127.0.0.1".into(),
            port: Some(8088),
        }]);
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(p.check_url(&u("http://127.0.0.1:8088/f")).is_ok());
        assert!(p.check_url(&u("http://127.0.0.1:9/f")).is_err());
        assert!(p.check_url(&u("http://[::1]/f")).is_err());
        assert!(p.check_url(&u("http://[::ffff:7f00:1]/f")).is_err());
        assert!(
            p.check_url(&u("http://[64:ff9b::a9fe:a9fe]/latest/meta-data"))
                .is_err()
        );
        assert!(p.check_url(&u("http://localhost/f")).is_err());
        assert!(p.check_url(&u("http://api.localhost./f")).is_err());
        // The URL parser reads these IPv4 spellings as 127.0.0.1.
        assert!(p.check_url(&u("http://2130706433/f")).is_err());
        assert!(p.check_url(&u("http://0x7f.1/f")).is_err());
        assert!(p.check_url(&u("https://example.org/f")).is_ok());
        assert!(p.check_url(&u("file:///etc/passwd")).is_err());
        assert!(p.check_url(&u("gopher://example.org/")).is_err());
    }

    #[tokio::test]
    async fn resolution_keeps_only_allowed_addresses() {
        let p = policy(vec![AllowedHost {
            host: "127.0.0.1".into(),
            port: Some(2525),
        }]);
        assert_eq!(
            p.resolve("127.0.0.1", 2525).await.unwrap(),
            vec!["127.0.0.1:2525".parse().unwrap()]
        );
        let refused = p.resolve("127.0.0.1", 25).await.unwrap_err();
        assert!(
            refused.to_string().contains("fetch.allow_hosts"),
            "{refused}"
        );
        assert!(matches!(
            p.resolve("localhost", 25).await,
            Err(ResolveError::Refused(_))
        ));
        assert!(matches!(
            p.resolve("[::1]", 25).await,
            Err(ResolveError::Refused(_))
        ));
        let open = NetPolicy {
            allow_private: true,
            allow_hosts: Vec::new(),
        };
        assert!(open.resolve("127.0.0.1", 25).await.is_ok());
    }
}
