using System.Text;
using Bindery.Protocol;

namespace Bindery.Tests.Devices;

/// <summary>The canonical string and HMAC of docs/device-api.md, with the worked example's values.</summary>
public sealed class DeviceSignatureTests
{
    private const string Body = """{"bindingCode":"A1B2C3D4","lifetime":600}""";

    private static string Canonical() => DeviceSignature.CanonicalString(
        "POST", "/device/v1/binding-code", "p1x2y3z4", "864000000000005", "1700000000", "nonce-0123456789abcdef", Encoding.UTF8.GetBytes(Body));

    [Fact]
    public void Canonical_string_is_seven_lines_ending_in_the_body_hash()
    {
        Assert.Equal(
            "POST\n/device/v1/binding-code\np1x2y3z4\n864000000000005\n1700000000\nnonce-0123456789abcdef\n"
            + "f2c4a6d8e8153ebdb894257c12cbeab9f64f8461deb302e2a0dfd62880dc304b",
            Canonical());
    }

    [Fact]
    public void Signature_matches_the_documented_openssl_result()
    {
        Assert.Equal("2ffd6298f64ade9bbd47fec3be9383906b2e003a482e9ea99a63f3cd20d1a08a", DeviceSignature.Sign("device-secret-0001", Canonical()));
    }

    [Fact]
    public void Method_is_upper_cased_and_an_empty_body_hashes_to_the_empty_string_hash()
    {
        var canonical = DeviceSignature.CanonicalString("get", "/device/v1/binding-state", "pk", "dk", "1", "n", []);
        Assert.StartsWith("GET\n", canonical, StringComparison.Ordinal);
        Assert.EndsWith("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", canonical, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0123456789abcdef", true)]
    [InlineData("short", false)]
    [InlineData("0123456789abcdef with space", false)]
    [InlineData("0123456789-abc_def", true)]
    public void Nonce_format(string nonce, bool valid) => Assert.Equal(valid, DeviceSignature.IsValidNonce(nonce));
}
