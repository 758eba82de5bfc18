//! A key's allowed addresses: IPv4 and IPv6 addresses and ranges in CIDR
//! form (`203.0.113.0/24`, `2001:db8::/48`, or one address). Shared by the
//! browser (the form) and the server (which decides).
use std::fmt;
use std::net::IpAddr;

use super::validation::Problem;

/// The most entries one key's list may hold.
pub const ALLOWED_ADDRESSES_MAX: usize = 100;

/// An address range: the network address and the prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

/// The mask of the top `prefix` bits of a `width`-bit address.
fn mask(prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        (u128::MAX << (128 - u32::from(prefix))) >> (128 - u32::from(width))
    }
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) is that
/// IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl Cidr {
    /// One entry as a user writes it. `Problem::InvalidAddress` when it is
    /// not an address or `address/prefix`; `Problem::HostBitsSet` when the
    /// address is not the range's first (`203.0.113.7/24`).
    pub fn parse(text: &str) -> Result<Cidr, Problem> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network = canonical(
            address
                .parse::<IpAddr>()
                .map_err(|_| Problem::InvalidAddress)?,
        );
        let width = bits(network).1;
        let prefix = match prefix {
            None => width,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| Problem::InvalidAddress)?
            }
            Some(_) => return Err(Problem::InvalidAddress),
        };
        if prefix > width {
            return Err(Problem::InvalidAddress);
        }
        if bits(network).0 & !mask(prefix, width) != 0 {
            return Err(Problem::HostBitsSet);
        }
        Ok(Cidr { network, prefix })
    }

    /// The range of `prefix` bits around `ip`.
    fn around(ip: IpAddr, prefix: u8) -> Cidr {
        let ip = canonical(ip);
        let (value, width) = bits(ip);
        let value = value & mask(prefix, width);
        let network = match ip {
            IpAddr::V4(_) => IpAddr::V4((value as u32).into()),
            IpAddr::V6(_) => IpAddr::V6(value.into()),
        };
        Cidr { network, prefix }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        let (value, width) = bits(ip);
        let (network, own_width) = bits(self.network);
        width == own_width && value & mask(self.prefix, width) == network
    }
}

impl fmt::Display for Cidr {
    /// One address as itself; a range as `network/prefix`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix == bits(self.network).1 {
            write!(f, "{}", self.network)
        } else {
            write!(f, "{}/{}", self.network, self.prefix)
        }
    }
}

/// A whole list as entered: entries separated by lines, commas or spaces;
/// duplicates once; sorted. The first problem found, if any.
pub fn parse_list<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Vec<Cidr>, Problem> {
    let mut list = Vec::new();
    for entry in entries
        .into_iter()
        .flat_map(|e| e.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|e| !e.is_empty())
    {
        list.push(Cidr::parse(entry)?);
    }
    list.sort_unstable();
    list.dedup();
    if list.len() > ALLOWED_ADDRESSES_MAX {
        return Err(Problem::TooManyAddresses);
    }
    Ok(list)
}

/// The smallest sensible ranges covering `seen`: addresses that share an
/// IPv4 /24 (or an IPv6 /64) with another become that range; an address
/// alone stays itself, and so do the addresses of a range that would hold
/// one of `avoid` (trusted proxies: allowing one lets everyone through).
pub fn suggest(seen: &[IpAddr], avoid: &[IpAddr]) -> Vec<Cidr> {
    let mut groups: Vec<(Cidr, Vec<IpAddr>)> = Vec::new();
    for &ip in seen {
        let ip = canonical(ip);
        let prefix = if ip.is_ipv4() { 24 } else { 64 };
        let range = Cidr::around(ip, prefix);
        match groups.iter_mut().find(|(r, _)| *r == range) {
            Some((_, members)) if !members.contains(&ip) => members.push(ip),
            Some(_) => {}
            None => groups.push((range, vec![ip])),
        }
    }
    let single = |ip: &IpAddr| Cidr::around(*ip, bits(*ip).1);
    let mut out: Vec<Cidr> = groups
        .into_iter()
        .flat_map(|(range, members)| {
            if members.len() > 1 && !avoid.iter().any(|a| range.contains(*a)) {
                vec![range]
            } else {
                members.iter().map(single).collect()
            }
        })
        .filter(|c| !avoid.iter().any(|a| c.contains(*a)))
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn entries_parse_as_users_write_them() {
        assert_eq!(
            Cidr::parse("203.0.113.0/24").map(|c| c.to_string()),
            Ok("203.0.113.0/24".into())
        );
        assert_eq!(
            Cidr::parse(" 198.51.100.7 ").map(|c| c.to_string()),
            Ok("198.51.100.7".into())
        );
        assert_eq!(
            Cidr::parse("198.51.100.7/32").map(|c| c.to_string()),
            Ok("198.51.100.7".into())
        );
        assert_eq!(
            Cidr::parse("2001:DB8::/32").map(|c| c.to_string()),
            Ok("2001:db8::/32".into())
        );
        assert_eq!(
            Cidr::parse("0.0.0.0/0").map(|c| c.to_string()),
            Ok("0.0.0.0/0".into())
        );
        assert_eq!(
            Cidr::parse("::ffff:192.0.2.1").map(|c| c.to_string()),
            Ok("192.0.2.1".into())
        );
        for bad in [
            "",
            "10.0.0.0/33",
            "2001:db8::/129",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/08x",
            "example.com",
            "10.0.0.0/8/8",
        ] {
            assert_eq!(Cidr::parse(bad), Err(Problem::InvalidAddress), "{bad}");
        }
        assert_eq!(Cidr::parse("203.0.113.7/24"), Err(Problem::HostBitsSet));
        assert_eq!(Cidr::parse("2001:db8::1/64"), Err(Problem::HostBitsSet));
    }

    #[test]
    fn a_range_holds_exactly_its_addresses() {
        let range = Cidr::parse("203.0.113.0/24").expect("range");
        assert!(range.contains(ip("203.0.113.0")));
        assert!(range.contains(ip("203.0.113.255")));
        assert!(
            range.contains(ip("::ffff:203.0.113.9")),
            "IPv4 through an IPv6 socket"
        );
        assert!(!range.contains(ip("203.0.114.0")));
        assert!(!range.contains(ip("2001:db8::1")));
        let v6 = Cidr::parse("2001:db8:1::/48").expect("range");
        assert!(v6.contains(ip("2001:db8:1:ffff::1")));
        assert!(!v6.contains(ip("2001:db8:2::1")));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .expect("all")
                .contains(ip("8.8.8.8"))
        );
        assert!(!Cidr::parse("0.0.0.0/0").expect("all").contains(ip("::1")));
    }

    #[test]
    fn a_list_is_split_deduplicated_sorted_and_bounded() {
        let list =
            parse_list(["10.0.0.1, 10.0.0.0/8\n10.0.0.1", "  ", "2001:db8::/32"]).expect("list");
        let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "10.0.0.1", "2001:db8::/32"]);
        assert_eq!(
            parse_list(["10.0.0.1 nonsense"]),
            Err(Problem::InvalidAddress)
        );
        let many: Vec<String> = (0..=ALLOWED_ADDRESSES_MAX)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        assert_eq!(
            parse_list(many.iter().map(String::as_str)),
            Err(Problem::TooManyAddresses)
        );
        assert_eq!(
            parse_list(many[..ALLOWED_ADDRESSES_MAX].iter().map(String::as_str)).map(|l| l.len()),
            Ok(ALLOWED_ADDRESSES_MAX)
        );
    }

    #[test]
    fn suggestions_group_neighbours_and_keep_strangers_alone() {
        let seen = [
            ip("203.0.113.5"),
            ip("203.0.113.77"),
            ip("198.51.100.7"),
            ip("2001:db8::1"),
            ip("2001:db8::2"),
            ip("2001:db8:5::9"),
            ip("203.0.113.5"),
        ];
        let shown: Vec<String> = suggest(&seen, &[])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "198.51.100.7",
                "203.0.113.0/24",
                "2001:db8::/64",
                "2001:db8:5::9"
            ]
        );
        assert!(suggest(&[], &[]).is_empty());
        // A range that would hold a trusted proxy stays its members; the
        // proxy itself is never suggested.
        let proxy = [ip("203.0.113.1")];
        let seen = [
            ip("203.0.113.5"),
            ip("203.0.113.77"),
            ip("203.0.113.1"),
            ip("::ffff:203.0.113.1"),
        ];
        let shown: Vec<String> = suggest(&seen, &proxy)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["203.0.113.5", "203.0.113.77"]);
    }
}
