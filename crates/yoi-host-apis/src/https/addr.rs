//! Which IP addresses a DNS answer may point a plugin's request at.
//!
//! A hostname grant is a grant to the public internet. Every address a name
//! resolves to must be globally routable unicast; anything that reaches the
//! host itself, its local networks, or a special-purpose range is refused, so
//! a hostile or rebinding DNS answer cannot turn a grant for `api.example.com`
//! into access to `127.0.0.1` or the cloud metadata service. IPv6 forms that
//! embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the
//! address they embed. Only an explicit grant for an IP literal or `localhost`
//! reaches such addresses, and that is decided by the caller, not here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused: the special-purpose range it falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Blocked {
    /// How the address was reached, for embedded IPv4 (e.g. `IPv4-mapped`).
    pub via: Option<&'static str>,
    /// The range, e.g. `10.0.0.0/8 (private)`.
    pub range: &'static str,
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.via {
            Some(via) => write!(f, "{via} form of {}", self.range),
            None => f.write_str(self.range),
        }
    }
}

const V4_BLOCKED: &[(u32, u8, &str)] = &[
    (0xffff_ffff, 32, "255.255.255.255/32 (broadcast)"),
    (0x0000_0000, 8, "0.0.0.0/8 (this network)"),
    (0x0a00_0000, 8, "10.0.0.0/8 (private)"),
    (0x6440_0000, 10, "100.64.0.0/10 (carrier-grade nat)"),
    (0x7f00_0000, 8, "127.0.0.0/8 (loopback)"),
    (0xa9fe_0000, 16, "169.254.0.0/16 (link-local)"),
    (0xac10_0000, 12, "172.16.0.0/12 (private)"),
    (0xc000_0000, 24, "192.0.0.0/24 (ietf protocol assignments)"),
    (0xc000_0200, 24, "192.0.2.0/24 (documentation)"),
    (0xc058_6300, 24, "192.88.99.0/24 (6to4 relay anycast)"),
    (0xc0a8_0000, 16, "192.168.0.0/16 (private)"),
    (0xc612_0000, 15, "198.18.0.0/15 (benchmarking)"),
    (0xc633_6400, 24, "198.51.100.0/24 (documentation)"),
    (0xcb00_7100, 24, "203.0.113.0/24 (documentation)"),
    (0xe000_0000, 4, "224.0.0.0/4 (multicast)"),
    (0xf000_0000, 4, "240.0.0.0/4 (reserved)"),
];

const V6_BLOCKED: &[(u128, u8, &str)] = &[
    (0, 128, "::/128 (unspecified)"),
    (1, 128, "::1/128 (loopback)"),
    (
        0x0064_ff9b_0001_0000_0000_0000_0000_0000,
        48,
        "64:ff9b:1::/48 (local-use nat64)",
    ),
    (
        0x0100_0000_0000_0000_0000_0000_0000_0000,
        64,
        "100::/64 (discard-only)",
    ),
    (
        0x2001_0db8_0000_0000_0000_0000_0000_0000,
        32,
        "2001:db8::/32 (documentation)",
    ),
    (
        0x2001_0000_0000_0000_0000_0000_0000_0000,
        23,
        "2001::/23 (ietf protocol assignments: teredo, benchmarking, orchid)",
    ),
    (
        0x3fff_0000_0000_0000_0000_0000_0000_0000,
        20,
        "3fff::/20 (documentation)",
    ),
    (
        0xfc00_0000_0000_0000_0000_0000_0000_0000,
        7,
        "fc00::/7 (unique local)",
    ),
    (
        0xfe80_0000_0000_0000_0000_0000_0000_0000,
        10,
        "fe80::/10 (link-local)",
    ),
    (
        0xfec0_0000_0000_0000_0000_0000_0000_0000,
        10,
        "fec0::/10 (site-local)",
    ),
    (
        0xff00_0000_0000_0000_0000_0000_0000_0000,
        8,
        "ff00::/8 (multicast)",
    ),
];

fn in_v4(addr: u32, net: u32, len: u8) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    addr & mask == net
}

fn in_v6(addr: u128, net: u128, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    addr & mask == net
}

fn check_v4(ip: Ipv4Addr) -> Result<(), &'static str> {
    let bits = u32::from(ip);
    match V4_BLOCKED
        .iter()
        .find(|(net, len, _)| in_v4(bits, *net, *len))
    {
        Some((_, _, range)) => Err(range),
        None => Ok(()),
    }
}

/// The IPv4 address an IPv6 address stands for, and how it embeds it.
fn embedded_v4(ip: Ipv6Addr) -> Option<(&'static str, Ipv4Addr)> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from(bits as u32);
    if in_v6(bits, 0x0000_0000_0000_0000_0000_ffff_0000_0000, 96) {
        Some(("IPv4-mapped", low32))
    } else if in_v6(bits, 0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        Some(("NAT64 64:ff9b::/96", low32))
    } else if in_v6(bits, 0x2002_0000_0000_0000_0000_0000_0000_0000, 16) {
        Some(("6to4 2002::/16", Ipv4Addr::from((bits >> 80) as u32)))
    } else if in_v6(bits, 0, 96) && bits > 1 {
        Some(("IPv4-compatible", low32))
    } else {
        None
    }
}

/// Check that `ip` is a globally routable unicast address.
pub(crate) fn check_public(ip: IpAddr) -> Result<(), Blocked> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4).map_err(|range| Blocked { via: None, range }),
        IpAddr::V6(v6) => {
            if let Some((via, v4)) = embedded_v4(v6) {
                return check_v4(v4).map_err(|range| Blocked {
                    via: Some(via),
                    range,
                });
            }
            let bits = u128::from(v6);
            if let Some((_, _, range)) = V6_BLOCKED.iter().find(|(n, l, _)| in_v6(bits, *n, *l)) {
                return Err(Blocked { via: None, range });
            }
            if !in_v6(bits, 0x2000_0000_0000_0000_0000_0000_0000_0000, 3) {
                return Err(Blocked {
                    via: None,
                    range: "outside 2000::/3 (not global unicast)",
                });
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn public_addresses_pass() {
        for ok in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(check_public(ip(ok)), Ok(()), "{ok}");
        }
    }

    #[test]
    fn special_ranges_are_refused() {
        for (bad, range) in [
            ("0.1.2.3", "0.0.0.0/8"),
            ("10.0.0.1", "10.0.0.0/8"),
            ("100.64.0.1", "100.64.0.0/10"),
            ("127.0.0.1", "127.0.0.0/8"),
            ("169.254.169.254", "169.254.0.0/16"),
            ("172.31.255.255", "172.16.0.0/12"),
            ("192.0.0.8", "192.0.0.0/24"),
            ("192.0.2.1", "192.0.2.0/24"),
            ("192.168.1.1", "192.168.0.0/16"),
            ("198.19.0.1", "198.18.0.0/15"),
            ("198.51.100.7", "198.51.100.0/24"),
            ("203.0.113.9", "203.0.113.0/24"),
            ("224.0.0.1", "224.0.0.0/4"),
            ("255.255.255.255", "255.255.255.255/32"),
            ("250.1.2.3", "240.0.0.0/4"),
            ("::", "::/128"),
            ("::1", "::1/128"),
            ("::ffff:10.0.0.1", "10.0.0.0/8"),
            ("::ffff:127.0.0.1", "127.0.0.0/8"),
            ("::127.0.0.1", "127.0.0.0/8"),
            ("64:ff9b::a00:1", "10.0.0.0/8"),
            ("64:ff9b::a9fe:a9fe", "169.254.0.0/16"),
            ("64:ff9b:1::1", "64:ff9b:1::/48"),
            ("2002:a00:1::", "10.0.0.0/8"),
            ("2002:7f00:1::", "127.0.0.0/8"),
            ("2001:db8::1", "2001:db8::/32"),
            ("2001::1", "2001::/23"),
            ("fc00::1", "fc00::/7"),
            ("fd12:3456::1", "fc00::/7"),
            ("fe80::1", "fe80::/10"),
            ("fec0::1", "fec0::/10"),
            ("ff02::1", "ff00::/8"),
            ("::ffff:0:a00:1", "outside 2000::/3"),
            ("4000::1", "outside 2000::/3"),
        ] {
            let blocked = check_public(ip(bad)).expect_err(bad);
            assert!(
                blocked.to_string().contains(range),
                "{bad}: `{blocked}` should name `{range}`"
            );
        }
    }
}
