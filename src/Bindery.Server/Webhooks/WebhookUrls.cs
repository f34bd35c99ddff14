using System.Net;
using System.Net.Sockets;
using Bindery.Infrastructure;

namespace Bindery.Webhooks;

/// <summary>
/// The SSRF rules of webhook URLs (docs/events.md, "Webhooks", SSRF): only absolute <c>http</c>/<c>https</c> URLs
/// without user information, and only public unicast addresses — checked when the URL is registered and again on
/// every connection (<see cref="ConnectAsync"/>), against the address actually connected to, so a name that later
/// resolves to a private address (DNS rebinding) is refused too. <c>Webhooks:AllowPrivateNetworks</c> lifts the
/// address rule, never the scheme rule.
/// </summary>
public static class WebhookUrls
{
    public const int MaxLength = 2048;

    /// <summary>The URL parsed, or 9411.</summary>
    public static Uri Parse(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxLength
            || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(uri.UserInfo) || string.IsNullOrEmpty(uri.Host) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new BinderyException(Errors.WebhookUrlInvalid, $"url must be an absolute http(s) URL of at most {MaxLength} characters, without user:password@ or #fragment");
        }
        return uri;
    }

    /// <summary>
    /// Registration check: an address literal or a name that resolves (within a couple of seconds) to a refused
    /// address is 9412. A name that does not resolve now is accepted; the connect-time check still applies.
    /// </summary>
    public static async Task RequireAllowedAsync(Uri uri, bool allowPrivate, CancellationToken cancellationToken)
    {
        if (allowPrivate)
        {
            return;
        }
        var host = uri.IdnHost.TrimEnd('.');
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            if (!IsPublic(literal))
            {
                throw new BinderyException(Errors.WebhookUrlForbidden, "url's address is not a public one");
            }
            return;
        }
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            throw new BinderyException(Errors.WebhookUrlForbidden, "url's host is a loopback name");
        }
        IPAddress[] addresses;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            addresses = await Dns.GetHostAddressesAsync(host, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or ArgumentException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return;
        }
        if (addresses.Any(a => !IsPublic(a)))
        {
            throw new BinderyException(Errors.WebhookUrlForbidden, "url's host resolves to an address that is not a public one");
        }
    }

    /// <summary>
    /// The delivery client's <c>SocketsHttpHandler.ConnectCallback</c>: resolves the host and connects only to
    /// public addresses (or any, when private networks are allowed); a host with none is refused with
    /// <see cref="RefusedAddressException"/> before any byte is sent.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = allowPrivate ? addresses : addresses.Where(IsPublic).ToArray();
        if (allowed.Length == 0)
        {
            throw new RefusedAddressException();
        }
        Exception? last = null;
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                // Checked again on the connected socket's peer: what was connected to is what counts.
                if (!allowPrivate && (socket.RemoteEndPoint is not IPEndPoint peer || !IsPublic(peer.Address)))
                {
                    throw new RefusedAddressException();
                }
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (Exception e) when (e is SocketException or RefusedAddressException)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    /// <summary>
    /// Whether <paramref name="address"/> is a public unicast address: not unspecified, loopback, private (RFC 1918),
    /// shared (CGNAT 100.64/10), link-local, multicast, broadcast, reserved or documentation ranges, nor an IPv6
    /// unique-local, site-local or link-local one; IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms are judged by
    /// the IPv4 address inside.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsPublicV4(address.GetAddressBytes());
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }
        var b = address.GetAddressBytes();
        if (address.IsIPv4MappedToIPv6)
        {
            return IsPublicV4(b[12..]);
        }
        if (b.Take(12).All(x => x == 0))
        {
            // :: , ::1 and the deprecated IPv4-compatible ::a.b.c.d.
            return false;
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        {
            // NAT64 64:ff9b::/96 (and the local-use 64:ff9b:1::/48).
            return b[4] == 0 && b[5] == 0 && IsPublicV4(b[12..]);
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            // 6to4 2002::/16 carries an IPv4 address in bytes 2-5.
            return IsPublicV4(b[2..6]);
        }
        if (b[0] == 0x20 && b[1] == 0x01 && ((b[2] == 0x00 && b[3] == 0x00) || (b[2] == 0x0d && b[3] == 0xb8)))
        {
            // Teredo 2001::/32 and documentation 2001:db8::/32.
            return false;
        }
        return (b[0] & 0xfe) != 0xfc   // fc00::/7 unique local
            && b[0] != 0xff            // multicast
            && !(b[0] == 0xfe && (b[1] & 0xc0) is 0x80 or 0xc0); // fe80::/10 link-local, fec0::/10 site-local
    }

    private static bool IsPublicV4(byte[] b) => !(
        b[0] == 0                                   // 0.0.0.0/8 "this network"
        || b[0] == 10                               // RFC 1918
        || b[0] == 127                              // loopback
        || (b[0] == 100 && (b[1] & 0xc0) == 64)     // 100.64/10 shared address space (CGNAT)
        || (b[0] == 169 && b[1] == 254)             // link-local
        || (b[0] == 172 && (b[1] & 0xf0) == 16)     // RFC 1918
        || (b[0] == 192 && b[1] == 168)             // RFC 1918
        || (b[0] == 192 && b[1] == 0 && b[2] == 0)  // IETF protocol assignments
        || (b[0] == 192 && b[1] == 0 && b[2] == 2)  // TEST-NET-1
        || (b[0] == 198 && (b[1] & 0xfe) == 18)     // 198.18/15 benchmarking
        || (b[0] == 198 && b[1] == 51 && b[2] == 100) // TEST-NET-2
        || (b[0] == 203 && b[1] == 0 && b[2] == 113)  // TEST-NET-3
        || b[0] >= 224);                            // multicast, reserved, broadcast
}

/// <summary>The connection was refused by the SSRF rule: the host has no address a webhook may connect to.</summary>
public sealed class RefusedAddressException() : IOException("the webhook host has no address a webhook may connect to");
