using System.Globalization;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Bindery.Devices;

/// <summary>A device whose request carried a valid, fresh, never-seen signature.</summary>
public sealed record AuthenticatedDevice(string Pk, string Dk);

/// <summary>An authenticated device request and its raw body (the bytes the signature covered).</summary>
public sealed record DeviceRequest(AuthenticatedDevice Device, byte[] Body, JsonSerializerOptions JsonOptions)
{
    /// <summary>The body as JSON; an empty body reads as <c>{}</c>.</summary>
    public T ReadJson<T>() where T : new() =>
        Body.Length == 0 ? new T() : JsonSerializer.Deserialize<T>(Body, JsonOptions) ?? new T();
}

/// <summary>
/// Authenticates device API requests (docs/device-api.md). Every refusal is 9011 without saying whether the
/// device, its secret or the signature was wrong; stale timestamps and reused nonces are named, as they reveal
/// nothing. Signature failures are counted per device in guess_counters.
/// </summary>
public sealed class DeviceAuthenticator(IDatabase db, TimeProvider clock, IOptions<JsonOptions> json, ILogger<DeviceAuthenticator> logger)
{
    public const string FailureScope = "device-auth";
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Failures within <see cref="FailureWindow"/> after which a warning is logged (pk/dk only).</summary>
    public const int FailureWarningThreshold = 20;

    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(15);

    private sealed class SecretRow
    {
        public string DeviceSecret { get; set; } = "";
    }

    public async Task<DeviceRequest> AuthenticateAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context.Request);
        var headers = context.Request.Headers;
        var pk = headers[DeviceSignature.PkHeader].ToString();
        var dk = headers[DeviceSignature.DkHeader].ToString();
        var timestamp = headers[DeviceSignature.TimestampHeader].ToString();
        var nonce = headers[DeviceSignature.NonceHeader].ToString();
        var signature = headers[DeviceSignature.SignatureHeader].ToString();
        if (pk.Length == 0 || dk.Length == 0 || timestamp.Length == 0 || nonce.Length == 0 || signature.Length == 0)
        {
            throw new BinderyException(Errors.DeviceAuthFailed, "X-Bindery-Pk, -Dk, -Timestamp, -Nonce and -Signature headers are required");
        }
        var now = clock.GetUtcNow();
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > (long)DeviceSignature.MaxSkew.TotalSeconds)
        {
            throw new BinderyException(Errors.DeviceAuthFailed, $"timestamp must be Unix seconds within {DeviceSignature.MaxSkew.TotalSeconds} s of server time");
        }
        if (!DeviceSignature.IsValidNonce(nonce))
        {
            throw new BinderyException(Errors.DeviceAuthFailed, $"nonce is {DeviceSignature.MinNonceLength}-{DeviceSignature.MaxNonceLength} characters of [A-Za-z0-9_-]");
        }

        var normalizedDk = pk.Length <= 64 ? DeviceKeys.Normalize(dk) : null;
        var device = normalizedDk is null ? null : await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<SecretRow>(
            "SELECT device_secret FROM devices WHERE pk = @Pk AND dk = @Dk", new { Pk = pk, Dk = normalizedDk }));
        var expected = device is null
            ? null
            : DeviceSignature.Sign(device.DeviceSecret, DeviceSignature.CanonicalString(context.Request.Method, context.Request.Path.Value ?? "", pk, dk, timestamp, nonce, body));
        if (expected is null || !Secrets.FixedTimeEquals(signature.ToLowerInvariant(), expected))
        {
            if (device is not null)
            {
                await RecordFailureAsync(pk, normalizedDk!, now.ToUnixTimeMilliseconds());
            }
            throw new BinderyException(Errors.DeviceAuthFailed);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        var fresh = await db.WriteAsync(async tx =>
        {
            await tx.ExecuteAsync("DELETE FROM device_nonces WHERE pk = @Pk AND dk = @Dk AND expires_at < @Now",
                new { Pk = pk, Dk = normalizedDk, Now = nowMs });
            return await tx.ExecuteAsync(
                "INSERT INTO device_nonces (pk, dk, nonce, expires_at) VALUES (@Pk, @Dk, @Nonce, @ExpiresAt) ON CONFLICT (pk, dk, nonce) DO NOTHING",
                new { Pk = pk, Dk = normalizedDk, Nonce = nonce, ExpiresAt = nowMs + 2 * (long)DeviceSignature.MaxSkew.TotalMilliseconds });
        });
        if (fresh == 0)
        {
            throw new BinderyException(Errors.DeviceAuthFailed, "nonce already used");
        }
        if (body.Length > 0)
        {
            // After the nonce is spent: the signature does not cover the Content-Type, so a refused request must not be replayable.
            RequestGate.RequireJson(context.Request);
        }
        return new DeviceRequest(new AuthenticatedDevice(pk, normalizedDk!), body, json.Value.SerializerOptions);
    }

    private async Task RecordFailureAsync(string pk, string dk, long now)
    {
        var subject = pk + "/" + dk;
        var failures = await db.WriteAsync(tx => GuessCounters.RecordFailureAsync(tx, FailureScope, subject, FailureWindow, now));
        if (failures == FailureWarningThreshold)
        {
            // Only public identifiers: the device key is printed on the device, never a secret.
            logger.LogWarning("Device API: {Failures} bad signatures for {Pk}/{Dk} within {Window}", failures, pk, dk, FailureWindow);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new BinderyException(Errors.RequestTooLarge);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new BinderyException(Errors.RequestTooLarge);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
