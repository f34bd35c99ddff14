using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Bindery.Protocol;

namespace Bindery.Cli;

/// <summary>
/// The body an app posts to <c>/v2/binding/enduserapi/deviceBindingByPureBt</c> after reading a pure-BT device
/// (seed 002, docs/protocol.md): the binding code encrypted with AES-128-CBC (key = product secret, IV = the 16
/// characters of <c>random</c>), the signature over pk + dk + encrypted code + pwd + userDomainSecret, and the
/// device's new (and optionally old) bindingSecret as encrypted <c>PK,DK,bindingSecret</c>.
/// </summary>
public sealed record PureBtPayload(
    [property: JsonPropertyName("pk")] string Pk,
    [property: JsonPropertyName("dk")] string Dk,
    [property: JsonPropertyName("random")] string Random,
    [property: JsonPropertyName("bindingCode")] string? BindingCode,
    [property: JsonPropertyName("encryptedBindingCode")] string? EncryptedBindingCode,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("encryptedNewBindingSecret")] string EncryptedNewBindingSecret,
    [property: JsonPropertyName("encryptedOldBindingSecret")] string? EncryptedOldBindingSecret,
    [property: JsonPropertyName("pwd")] string? Pwd,
    [property: JsonPropertyName("fid")] string? Fid,
    [property: JsonPropertyName("frid")] string? Frid,
    [property: JsonPropertyName("deviceName")] string? DeviceName)
{
    public const string BindPath = "/v2/binding/enduserapi/deviceBindingByPureBt";

    // Relaxed escaping keeps Base64's '+' readable; the text is printed for shells, never embedded in HTML.
    private static readonly JsonSerializerOptions Compact = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };

    /// <summary>What goes into one payload; <see cref="Random"/> and the new secret are generated when left null.</summary>
    public sealed record Input(string Pk, string Dk, string ProductSecret, string UserDomainSecret, string BindingCode)
    {
        public string? NewBindingSecret { get; init; }
        public string? OldBindingSecret { get; init; }
        public string? Pwd { get; init; }
        public string? Random { get; init; }
        public bool PlainCode { get; init; }
        public string? Fid { get; init; }
        public string? Frid { get; init; }
        public string? DeviceName { get; init; }
    }

    /// <summary>The payload and the new bindingSecret it installs (the device keeps it for the next re-binding).</summary>
    public static (PureBtPayload Payload, string NewBindingSecret) Create(Input input)
    {
        if (PureBtCrypto.KeyOf(input.ProductSecret) is null)
        {
            throw new SimulatorException("the product secret (ps) must be 16 ASCII characters: it is the AES-128 key");
        }
        var random = input.Random ?? Secrets.RandomAlphanumeric(PureBtCrypto.RandomLength);
        if (!PureBtCrypto.IsValidRandom(random))
        {
            throw new SimulatorException("random must be 16 characters of [A-Za-z0-9]");
        }
        var newSecret = input.NewBindingSecret ?? DeviceApiClient.NewBindingSecret();
        foreach (var secret in new[] { newSecret, input.OldBindingSecret })
        {
            if (secret is not null && !PureBtCrypto.IsValidBindingSecret(secret))
            {
                throw new SimulatorException("a bindingSecret is 8-64 characters of [A-Za-z0-9]");
            }
        }
        var encryptedCode = input.PlainCode ? null : PureBtCrypto.Encrypt(input.ProductSecret, random, input.BindingCode);
        var signature = PureBtCrypto.Signature(input.Pk, input.Dk, encryptedCode ?? input.BindingCode, input.Pwd, input.UserDomainSecret);
        string SecretPayload(string secret) => PureBtCrypto.Encrypt(input.ProductSecret, random, $"{input.Pk},{input.Dk},{secret}");
        var payload = new PureBtPayload(
            input.Pk, input.Dk, random,
            input.PlainCode ? input.BindingCode : null, encryptedCode,
            signature,
            SecretPayload(newSecret),
            input.OldBindingSecret is null ? null : SecretPayload(input.OldBindingSecret),
            string.IsNullOrEmpty(input.Pwd) ? null : input.Pwd,
            input.Fid, input.Frid, input.DeviceName);
        return (payload, newSecret);
    }

    public string ToJson(bool indented = false) => JsonSerializer.Serialize(this, indented ? Indented : Compact);
}
