"""Which webhook URLs may be called: a guard against server-side request forgery.

A webhook URL is given by a user, but the request leaves from the operator's network. A
target on loopback, a private or shared range, link-local (where cloud metadata services
live), multicast or any other non-global address is refused, unless the operator allowed
its network. So are addresses in the numeric forms resolvers accept (`2130706433`,
`0x7f.1`, `0177.0.0.1`), names of this machine (`localhost`, `*.localhost`) and internal
names (`metadata.google.internal`, `*.local`, a name of one label). Names are checked
again, after resolving, by the sender: the addresses a name resolves to when the request
is made are the ones that count.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from urllib.parse import SplitResult, urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2_000
# Names that mean this machine whatever DNS says (RFC 6761).
_LOCAL_NAMES = frozenset(("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"))
# Suffixes that never name a public host: cloud metadata (metadata.google.internal),
# mDNS, home and corporate networks (RFC 6762, RFC 8375, ICANN's private-use .internal).
_INTERNAL_SUFFIXES = (
    ".internal",
    ".local",
    ".localdomain",
    ".lan",
    ".home.arpa",
    ".intranet",
    ".corp",
    ".private",
)
_HEX_LABEL = re.compile(r"0x[0-9a-f]*")


class TargetRefused(ValueError):
    """The URL may not be called; the message says which rule it broke."""


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """Parse comma-separated networks (`127.0.0.0/8,::1`); ValueError names the bad one."""
    networks: list[IpNetwork] = []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        try:
            networks.append(ipaddress.ip_network(word, strict=False))
        except ValueError:
            raise ValueError(f"{word!r} is not a network (e.g. 127.0.0.0/8 or ::1)") from None
    return tuple(networks)


def check_url(url: str) -> SplitResult:
    """Return the parts of an http(s) URL with a host; TargetRefused says what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise TargetRefused("contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as e:
        raise TargetRefused(f"not a URL ({e})") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("must start with https:// (or http://)")
    if not parts.hostname:
        raise TargetRefused("has no host")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("must not carry a user name or password; the signature proves us")
    if parts.fragment:
        raise TargetRefused("must not have a #fragment")
    return parts


def literal_address(host: str) -> IpAddress | None:
    """Return the host as an IP address when it is one (brackets allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def refusal(address: IpAddress, allowed: Sequence[IpNetwork]) -> str | None:
    """Return why `address` may not be called, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address.version == net.version and address in net for net in allowed):
        return None
    if address.is_multicast or address.is_unspecified:
        return f"{address} is not a unicast address"
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is link-local (cloud metadata services live there)"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_reserved or not address.is_global:
        return f"{address} is not a public address"
    return None


def check_target(url: str, allowed: Sequence[IpNetwork]) -> SplitResult:
    """Check a URL as far as can be done without DNS: its form, literal addresses, names."""
    parts = check_url(url)
    host = (parts.hostname or "").rstrip(".").lower()
    address = literal_address(host)
    if address is not None:
        why = refusal(address, allowed)
        if why is not None:
            raise TargetRefused(f"{why}; the operator may allow its network")
    elif _numeric_last_label(host):
        # 2130706433, 0x7f.1, 0177.0.0.1: forms resolvers read as 127.0.0.1, which would
        # slip past a check that only knows dotted quads.
        raise TargetRefused(
            f"{host} is an address in a numeric, hex or octal form; write it as four "
            "decimal numbers (a.b.c.d)"
        )
    elif _names_this_machine(host):
        if not _local_allowed(allowed):
            raise TargetRefused(f"{host} names this machine; the operator may allow loopback")
    elif _internal_name(host) and not allowed:
        raise TargetRefused(
            f"{host} is an internal name (cloud metadata and intranet hosts live under such "
            "names); the operator may allow its network"
        )
    return parts


def check_resolved(addresses: Iterable[IpAddress], allowed: Sequence[IpNetwork]) -> IpAddress:
    """Return the first address to connect to; refuse if any address is not allowed.

    Every address must pass, not only the first: a name that resolves to a public and a
    private address must not be tried again until it lands on the private one.
    """
    chosen: IpAddress | None = None
    for address in addresses:
        why = refusal(address, allowed)
        if why is not None:
            raise TargetRefused(f"resolves to {why}")
        chosen = chosen or address
    if chosen is None:
        raise TargetRefused("resolves to no address")
    return chosen


def _numeric_last_label(host: str) -> bool:
    """Tell whether the host's last label is a number (decimal, 0x hex or octal): such a
    host is an IPv4 address to resolvers and browsers, never a name (WHATWG URL, inet_aton)."""
    last = host.rsplit(".", 1)[-1]
    return bool(last) and (last.isdigit() or _HEX_LABEL.fullmatch(last) is not None)


def _names_this_machine(host: str) -> bool:
    return host in _LOCAL_NAMES or host.endswith(".localhost")


def _internal_name(host: str) -> bool:
    """Tell whether `host` only makes sense inside a network: one label (`metadata`,
    resolved through the search domains) or an internal suffix (`*.internal`, `*.local`)."""
    return "." not in host or any(host.endswith(suffix) for suffix in _INTERNAL_SUFFIXES)


def _local_allowed(allowed: Sequence[IpNetwork]) -> bool:
    loopback = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
    return any(a.version == n.version and a in n for a in loopback for n in allowed)
