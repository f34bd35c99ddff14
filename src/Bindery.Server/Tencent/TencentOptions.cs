namespace Bindery.Tencent;

/// <summary>Configuration section <c>Tencent</c>: distribution-network token lifetimes and guessing limits (docs/tencent-api.md).</summary>
public sealed class TencentOptions
{
    /// <summary>Lifetime of a 32-character token (128 random bits).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Lifetime of a 6-character token (30 random bits): short, because it is guessable in principle.</summary>
    public TimeSpan ShortTokenLifetime { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Reports of unknown, expired, used or contested tokens one device may make within <see cref="ReportFailureWindow"/>.</summary>
    public int ReportFailuresPerDevice { get; set; } = 5;

    /// <summary>The window the per-device report failure count runs over.</summary>
    public TimeSpan ReportFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The deployment's answer envelope (<c>Tencent:Envelope</c>): <c>Response</c> (the documented
    /// <c>{"Response":…}</c> form, seed 003) or <c>Client</c> (<c>{"code","msg","data"}</c>, what the official apps and
    /// SDKs parse). A user domain may choose its own (admin API <c>tencentEnvelope</c>); this one answers for domains
    /// that do not, and for every request whose caller cannot be identified.
    /// </summary>
    public TencentEnvelopeKind Envelope { get; set; } = TencentEnvelopeKind.Response;

    /// <summary>Verification codes for registering by phone or e-mail and resetting passwords (<c>Tencent:VerificationCodes</c>).</summary>
    public VerificationCodeOptions VerificationCodes { get; set; } = new();
}

/// <summary>The two answer envelopes of the Tencent-style API (docs/tencent-api.md, "Envelopes").</summary>
public enum TencentEnvelopeKind
{
    /// <summary><c>{"Response":{"Data":{…,"RequestId"},"RequestId"}}</c> / <c>{"Response":{"Error":{Code,Message},"RequestId"}}</c> (seed 003, Tencent's documentation).</summary>
    Response,

    /// <summary><c>{"code":0,"msg":"","data":{…}}</c> / <c>{"code":-1000,"msg":…,"data":{"Error":{Code,Message},"RequestId"}}</c> (the official clients).</summary>
    Client,
}

/// <summary>Where an action's answer fields sit inside the client envelope's <c>data</c>.</summary>
public enum TencentShape
{
    /// <summary><c>data.Token</c>, <c>data.FamilyList</c>: the fields directly in <c>data</c>.</summary>
    Flat,

    /// <summary><c>data.Data.FamilyId</c>: the fields in <c>data.Data</c>.</summary>
    Wrapped,
}
