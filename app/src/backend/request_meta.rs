//! Who is on the other end of a request: client IP (honouring only trusted
//! proxies) and user agent, for audit rows and throttling.
use std::net::IpAddr;

use axum::http::HeaderMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The client's address: the socket peer, unless that peer is a trusted
/// proxy; then the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy. Entries a client wrote itself sit further left and are
/// never reached, so a spoofed header cannot change the answer.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    // An IPv4 peer seen through an IPv6 socket (`::ffff:10.0.0.1`) is that
    // IPv4 address, for the trusted list as for everything after.
    let trusted_one = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    let peer = peer?.to_canonical();
    if !trusted_one(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted_one(ip))
        .or(Some(peer))
}

pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().filter(|c| !c.is_control()).take(512).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let got = client_ip(Some(ip("203.0.113.9")), &xff("1.2.3.4"), &[]);
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn a_trusted_proxy_seen_through_an_ipv6_socket_is_still_trusted() {
        let trusted = [ip("10.0.0.1")];
        let got = client_ip(
            Some(ip("::ffff:10.0.0.1")),
            &xff("::ffff:198.51.100.4"),
            &trusted,
        );
        assert_eq!(got, Some(ip("198.51.100.4")));
        let alone = client_ip(Some(ip("::ffff:203.0.113.9")), &xff("1.2.3.4"), &trusted);
        assert_eq!(alone, Some(ip("203.0.113.9")));
    }

    #[test]
    fn trusted_proxy_forwards_the_right_most_untrusted_entry() {
        let trusted = [ip("10.0.0.1")];
        let got = client_ip(
            Some(ip("10.0.0.1")),
            &xff("6.6.6.6, 198.51.100.7"),
            &trusted,
        );
        assert_eq!(
            got,
            Some(ip("198.51.100.7")),
            "spoofed left entry is ignored"
        );
        let no_header = client_ip(Some(ip("10.0.0.1")), &HeaderMap::new(), &trusted);
        assert_eq!(no_header, Some(ip("10.0.0.1")));
    }
}
