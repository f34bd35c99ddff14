using Bindery.Infrastructure;
using Bindery.Observability;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Bindery.StandIn;

/// <summary>The stand-in API under <c>/stand-in/v1</c> (docs/stand-in.md): header <c>X-StandIn-Key</c>, answers in the <c>{code, msg, extMsg, data}</c> envelope.</summary>
public static class StandInEndpoints
{
    public static IEndpointRouteBuilder MapStandInEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/stand-in/v1")
            .AddEndpointFilter(StandInKey.RequireAsync)
            .WithTags("Stand-in")
            .WithErrorEnvelope(ErrorEnvelopes.Admin)
            .WithErrors(Errors.StandInKeyInvalid);

        var clock = group.MapGroup("/clock");
        clock.MapGet("", GetClock).WithSummary("The stand-in clock: now and how far it was advanced");
        clock.MapPost("/advance", AdvanceClock).WithSummary("Advance the server's clock (codes, tokens, sessions and share codes expire)")
            .WithErrors(Errors.StandInClockAdvanceInvalid);
        clock.MapPost("/reset", ResetClock).WithSummary("Put the server's clock back to the system's time");

        group.MapPost("/fixture", LoadFixtureAsync).WithSummary("Load a fixture: empty the store, create its tenant, make it what a reset returns to")
            .WithErrors(Errors.StandInFixtureInvalid, Errors.InvalidParameterValue, Errors.InvalidParameter, Errors.AlreadyExists, Errors.UserDomainAbnormal);
        group.MapGet("/fixture", (StandInTenant tenant) => Envelope.OkResult(tenant.Loaded))
            .WithSummary("What the last fixture load created (ids and secrets); null when none was loaded");
        group.MapPost("/reset", async (StandInTenant tenant, CancellationToken cancellationToken) => Envelope.OkResult(await tenant.ResetAsync(cancellationToken)))
            .WithSummary("Reset to the fixture (or the state at start): every row the app could have changed, the clock, the virtual devices");

        var device = group.MapGroup("/devices/{pk}/{dk}")
            .WithErrors(Errors.StandInDeviceNotFound, Errors.ProductKeyMissing, Errors.DeviceKeyMissing);
        device.MapPost("/binding-code", ReportCodeAsync).WithSummary("The device reports a binding code (generated when not given); the code is answered")
            .WithErrors(Errors.InvalidParameterValue, Errors.StandInDeviceApiUnreachable);
        device.MapPost("/binding-secret", ReportSecretAsync).WithSummary("The device reports its bindingSecret (generated when not given); the secret is answered")
            .WithErrors(Errors.InvalidParameterValue, Errors.StandInDeviceApiUnreachable);
        device.MapPost("/bind-token", ReportTokenAsync).WithSummary("The device reports the Tencent bind token the app gave it")
            .WithErrors(Errors.InvalidParameterValue, Errors.StandInDeviceApiUnreachable);
        device.MapPost("/reset", DeviceResetAsync).WithSummary("The device is factory-reset").WithErrors(Errors.StandInDeviceApiUnreachable);
        device.MapPost("/pairing-window", PairingWindowAsync).WithSummary("The device's pairing button is pressed (SN pairing window)")
            .WithErrors(Errors.InvalidParameterValue, Errors.StandInDeviceApiUnreachable);
        device.MapGet("/state", DeviceStateAsync).WithSummary("The device's binding state, as the device API answers it").WithErrors(Errors.StandInDeviceApiUnreachable);
        device.MapPost("/mqtt/connect", MqttConnectAsync).WithSummary("The device connects to the embedded MQTT broker (its login signed with its secret)")
            .WithErrors(Errors.StandInMqttUnavailable);
        device.MapPost("/mqtt/disconnect", MqttDisconnectAsync).WithSummary("The device disconnects from the MQTT broker");
        device.MapGet("/mqtt", MqttStateAsync).WithSummary("Whether the device is connected, and what the cloud pushed to it since it connected");
        device.MapPost("/mqtt/publish", MqttPublishAsync).WithSummary("The connected device publishes a message on $thing/up/{type}/{pk}/{dk}")
            .WithErrors(Errors.StandInDeviceNotConnected, Errors.InvalidParameterValue);

        // faults and journal (h-faults)
        group.MapStandInFaults();
        group.MapStandInJournal();
        return app;
    }

    /// <summary><c>bindingCode</c> (12 characters of the device alphabet when left out) valid for <c>lifetime</c> seconds (600 when left out; 0 cancels).</summary>
    public sealed record CodeInput(string? BindingCode, int? Lifetime);

    public sealed record SecretInput(string? BindingSecret);

    public sealed record TokenInput(string? Token);

    public sealed record PairingInput(int? Seconds);

    /// <summary><c>type</c> <c>service</c> (Tencent's messages, the default) or <c>bindery</c>; <c>payload</c> any JSON value.</summary>
    public sealed record PublishInput(string? Type, System.Text.Json.JsonElement? Payload);

    public sealed record DeviceAnswer(string Pk, string Dk, string? BindingCode, string? BindingSecret, System.Text.Json.JsonElement Device);

    private static async Task<IResult> LoadFixtureAsync(HttpRequest request, StandInTenant tenant, CancellationToken cancellationToken)
    {
        StandInFixture fixture;
        try
        {
            fixture = await System.Text.Json.JsonSerializer.DeserializeAsync<StandInFixture>(request.Body, StandInFixture.Json, cancellationToken)
                ?? throw new System.Text.Json.JsonException("the fixture is null");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new BinderyException(Errors.StandInFixtureInvalid, e.Message);
        }
        return Envelope.OkResult(await tenant.LoadAsync(fixture, cancellationToken));
    }

    private static async Task<IResult> ReportCodeAsync(string pk, string dk, [FromBody] CodeInput? body, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        var code = string.IsNullOrWhiteSpace(body?.BindingCode) ? Protocol.DeviceApiClient.NewBindingCode() : body.BindingCode;
        var answer = await devices.AsDeviceAsync(identity, c => c.ReportBindingCodeAsync(code, body?.Lifetime ?? Protocol.DeviceApiClient.DefaultLifetimeSeconds));
        return Envelope.OkResult(new DeviceAnswer(identity.Pk, identity.Dk, code, null, answer));
    }

    private static async Task<IResult> ReportSecretAsync(string pk, string dk, [FromBody] SecretInput? body, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        var secret = string.IsNullOrWhiteSpace(body?.BindingSecret) ? Protocol.DeviceApiClient.NewBindingSecret() : body.BindingSecret;
        var answer = await devices.AsDeviceAsync(identity, c => c.ReportBindingSecretAsync(secret));
        return Envelope.OkResult(new DeviceAnswer(identity.Pk, identity.Dk, null, secret, answer));
    }

    private static async Task<IResult> ReportTokenAsync(string pk, string dk, [FromBody] TokenInput? body, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        var token = Validate.Required(body?.Token, Errors.InvalidParameterValue, 256, "token");
        var answer = await devices.AsDeviceAsync(identity, c => c.ReportBindTokenAsync(token));
        return Envelope.OkResult(new DeviceAnswer(identity.Pk, identity.Dk, null, null, answer));
    }

    private static async Task<IResult> DeviceResetAsync(string pk, string dk, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        return Envelope.OkResult(new DeviceAnswer(identity.Pk, identity.Dk, null, null, await devices.AsDeviceAsync(identity, c => c.ResetAsync())));
    }

    private static async Task<IResult> PairingWindowAsync(string pk, string dk, [FromBody] PairingInput? body, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        var answer = await devices.AsDeviceAsync(identity, c => c.OpenPairingWindowAsync(body?.Seconds ?? 120));
        return Envelope.OkResult(new DeviceAnswer(identity.Pk, identity.Dk, null, null, answer));
    }

    private static async Task<IResult> DeviceStateAsync(string pk, string dk, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        return Envelope.OkResult(new DeviceAnswer(identity.Pk, identity.Dk, null, null, await devices.AsDeviceAsync(identity, c => c.StateAsync())));
    }

    private static async Task<IResult> MqttConnectAsync(string pk, string dk, StandInDevices devices, CancellationToken cancellationToken)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        return Envelope.OkResult(await devices.ConnectAsync(identity, cancellationToken));
    }

    private static async Task<IResult> MqttDisconnectAsync(string pk, string dk, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        await devices.DisconnectAsync(identity.Pk, identity.Dk);
        return Envelope.OkResult(devices.State(identity.Pk, identity.Dk));
    }

    private static async Task<IResult> MqttStateAsync(string pk, string dk, StandInDevices devices)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        return Envelope.OkResult(devices.State(identity.Pk, identity.Dk));
    }

    private static async Task<IResult> MqttPublishAsync(string pk, string dk, [FromBody] PublishInput? body, StandInDevices devices, CancellationToken cancellationToken)
    {
        var identity = await devices.IdentityAsync(pk, dk);
        var type = string.IsNullOrWhiteSpace(body?.Type) ? "service" : body.Type.Trim();
        if (type is not ("service" or "bindery") || body?.Payload is not { } payload)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "give payload (JSON) and type service or bindery");
        }
        await devices.PublishAsync(identity, type, payload.GetRawText(), cancellationToken);
        return Envelope.OkResult(devices.State(identity.Pk, identity.Dk));
    }

    public sealed record ClockView(long NowMs, string Now, long OffsetMs);

    /// <summary>How far to advance: <c>seconds</c>, or <c>by</c> as a duration (<c>90s</c>, <c>10m</c>, <c>2h</c>, <c>7d</c>, or <c>hh:mm:ss</c>).</summary>
    public sealed record AdvanceInput(double? Seconds, string? By);

    private static ClockView View(StandInClock clock)
    {
        var now = clock.GetUtcNow();
        return new ClockView(now.ToUnixTimeMilliseconds(), now.ToString("O", System.Globalization.CultureInfo.InvariantCulture), (long)clock.Offset.TotalMilliseconds);
    }

    private static Ok<QuectelEnvelope<ClockView>> GetClock(StandInClock clock) => Envelope.OkResult(View(clock));

    private static Ok<QuectelEnvelope<ClockView>> AdvanceClock([FromBody] AdvanceInput? body, StandInClock clock)
    {
        var by = ParseAdvance(body);
        clock.Advance(by);
        return Envelope.OkResult(View(clock));
    }

    private static Ok<QuectelEnvelope<ClockView>> ResetClock(StandInClock clock)
    {
        clock.Reset();
        return Envelope.OkResult(View(clock));
    }

    public static TimeSpan ParseAdvance(AdvanceInput? body)
    {
        TimeSpan? by = null;
        if (body?.Seconds is { } seconds)
        {
            by = double.IsFinite(seconds) && seconds > 0 && seconds <= 3650d * 86400 ? TimeSpan.FromSeconds(seconds) : null;
        }
        else if (!string.IsNullOrWhiteSpace(body?.By))
        {
            by = ParseDuration(body.By.Trim());
        }
        return by is { } value && value > TimeSpan.Zero && value <= TimeSpan.FromDays(3650)
            ? value
            : throw new BinderyException(Errors.StandInClockAdvanceInvalid);
    }

    /// <summary><c>90s</c>, <c>10m</c>, <c>2h</c>, <c>7d</c>, <c>500ms</c> or a <c>[d.]hh:mm:ss</c> time span; null when neither.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        (string Suffix, Func<double, TimeSpan> Make)[] units =
        [
            ("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds), ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours), ("d", TimeSpan.FromDays),
        ];
        foreach (var (suffix, make) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], System.Globalization.NumberStyles.Float, culture, out var amount)
                && double.IsFinite(amount) && amount > 0 && amount <= 3650d * 86400 * 1000)
            {
                var value = make(amount);
                return value <= TimeSpan.FromDays(3650) ? value : null;
            }
        }
        return TimeSpan.TryParse(text, culture, out var span) ? span : null;
    }
}
