//! Where a webhook may be sent: an `http` or `https` URL whose host
//! resolves only to public addresses. Loopback, private, link-local (the
//! cloud metadata service), shared, multicast and reserved ranges are
//! refused unless the operator allows them (`KEYHOUSE_WEBHOOK_ALLOW_PRIVATE`),
//! so an endpoint cannot be pointed into the operator's own network. The
//! sender connects to the very addresses checked (no second lookup that a
//! DNS answer could change in between).
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

use crate::model::validation::Problem;
use crate::model::webhooks::URL_MAX;

/// Whether `ip` is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24; benchmarking, 198.18.0.0/15.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        // 6to4 relay anycast, 192.88.99.0/24.
        || (a == 192 && b == 88 && c == 99)
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // Site-local fec0::/10 (deprecated, still routed inside some
        // networks).
        || (first & 0xffc0) == 0xfec0
        // Documentation 2001:db8::/32; Teredo 2001::/32 and 6to4 2002::/16
        // carry an IPv4 address (a private one, as well).
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || (first == 0x2001 && ip.segments()[1] == 0)
        || first == 0x2002
        // NAT64 64:ff9b::/96 and the IPv4-compatible ::/96 could reach
        // any IPv4 address, a private one included.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)
        || ip.segments()[..6].iter().all(|s| *s == 0))
}

/// The URL an endpoint may have, parsed; its host is checked when resolved.
pub fn parse(url: &str) -> Result<Url, Problem> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Problem::Required);
    }
    if url.chars().count() > URL_MAX {
        return Err(Problem::TooLong);
    }
    let parsed = Url::parse(url).map_err(|_| Problem::InvalidUrl)?;
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed.host().is_some()
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.fragment().is_none();
    if ok {
        Ok(parsed)
    } else {
        Err(Problem::InvalidUrl)
    }
}

/// The addresses to connect to for `url`: every one its host resolves to,
/// all of them public unless `allow_private`. Without `allow_private` a
/// host that does not resolve is refused as a private one is (the answer
/// must not tell which internal names exist).
pub async fn resolve(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, Problem> {
    let addresses = match lookup(url).await {
        Err(Problem::UnresolvableHost) if !allow_private => return Err(Problem::PrivateAddress),
        other => other?,
    };
    if !allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(Problem::PrivateAddress);
    }
    Ok(addresses)
}

async fn lookup(url: &Url) -> Result<Vec<SocketAddr>, Problem> {
    let host = url.host_str().ok_or(Problem::InvalidUrl)?;
    let port = url.port_or_known_default().ok_or(Problem::InvalidUrl)?;
    // `[::1]` comes bracketed; an address needs no lookup.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio::net::lookup_host((bare, port)),
        )
        .await
        .map_err(|_| Problem::UnresolvableHost)?
        .map_err(|_| Problem::UnresolvableHost)?
        .collect(),
    };
    if addresses.is_empty() {
        return Err(Problem::UnresolvableHost);
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in [
            "93.184.215.14",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn urls_are_http_or_https_with_a_host_and_no_credentials() {
        assert!(parse("https://hooks.example.com/keyhouse").is_ok());
        assert!(parse(" http://93.184.215.14:8080/x?y=1 ").is_ok());
        for bad in [
            "",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
            "https://example.com/#x",
            "file:///etc/passwd",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse(&format!("https://e.com/{}", "a".repeat(2000))),
            Err(Problem::TooLong)
        );
    }

    #[tokio::test]
    async fn private_hosts_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:9/h",
            "http://[::1]/h",
            "http://localhost/h",
            "http://169.254.169.254/latest",
        ] {
            let parsed = parse(url).expect("url");
            assert_eq!(
                resolve(&parsed, false).await,
                Err(Problem::PrivateAddress),
                "{url}"
            );
        }
        let nowhere = parse("http://no-such-host.invalid/h").expect("url");
        assert_eq!(
            resolve(&nowhere, false).await,
            Err(Problem::PrivateAddress),
            "no oracle"
        );
        assert_eq!(
            resolve(&nowhere, true).await,
            Err(Problem::UnresolvableHost)
        );
        let local = parse("http://127.0.0.1:9/h").expect("url");
        assert_eq!(resolve(&local, true).await.map(|a| a.len()), Ok(1));
        let public = parse("https://93.184.215.14/h").expect("url");
        assert!(resolve(&public, false).await.is_ok());
    }
}
