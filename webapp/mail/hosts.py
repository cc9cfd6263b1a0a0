"""Which addresses the SMTP and IMAP hosts set in Settings may lead to.

Whoever can change Settings could otherwise point Mailroom at the cloud metadata service
(169.254.169.254) or at machines of the private network, and read from the SMTP test's answers
which ports are open there; each attempt also offers them the SMTP password. So the host may not
resolve to a link-local address, nor to a private one unless ALLOW_PRIVATE_SMTP is set (a relay
inside the same network). Loopback stays allowed: the embedded catcher listens there.

The check runs when the host is saved and again on every connection, on the very address the
connection then uses: a name can resolve to a different address later (DNS rebinding).
"""
import ipaddress
import socket

LINK_LOCAL = [ipaddress.ip_network(net) for net in ("169.254.0.0/16", "fe80::/10")]
PRIVATE = [ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]


class BlockedHost(OSError):
    """The SMTP host resolves to an address Mailroom may not connect to; str() says why."""


def refusal(address, allow_private):
    """Why Mailroom may not connect to this IP address, or None."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 scope (fe80::1%eth0) is not part of the address
    ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:169.254.169.254 is 169.254.169.254
    if any(ip in net for net in LINK_LOCAL):
        return f"it resolves to {ip}, a link-local address (such as a cloud metadata service), which is never allowed"
    if not allow_private and any(ip in net for net in PRIVATE):
        return f"it resolves to {ip}, a private network address; set ALLOW_PRIVATE_SMTP=1 to allow a relay on the private network"
    return None


def _addresses(host, port):
    literal = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # [2001:db8::1]
    return [info[4][0] for info in socket.getaddrinfo(literal, port, type=socket.SOCK_STREAM)]


def checked_address(host, port, allow_private, service="SMTP"):
    """The address to connect to for host:port, resolved once; BlockedHost when any address the
    name resolves to is refused (a name could mix a public and a forbidden one)."""
    addresses = _addresses(host, port)
    for address in addresses:
        reason = refusal(address, allow_private)
        if reason:
            raise BlockedHost(f"Mailroom may not connect to the {service} host {host!r}: {reason}.")
    return addresses[0]


def host_problem(host, allow_private, service="SMTP"):
    """For the Settings form: why this host cannot be used, or None. A name that does not resolve
    now is not refused here (the SMTP test says so); the connection checks it again anyway."""
    try:
        checked_address(host, 25, allow_private, service)
    except BlockedHost as error:
        return str(error)
    except (OSError, UnicodeError, ValueError):
        return None
    return None
