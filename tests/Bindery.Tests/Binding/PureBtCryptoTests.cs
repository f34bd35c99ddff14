using Bindery.Protocol;

namespace Bindery.Tests.Binding;

/// <summary>The test vectors of docs/protocol.md, computed there with openssl and sha256sum.</summary>
public sealed class PureBtCryptoTests
{
    public const string Ps = "0123456789abcdef";
    public const string Random = "RandomIV12345678";
    public const string Pk = "p1x2y3z4";
    public const string Dk = "864000000000005";
    public const string UserDomainSecret = "uds_test_secret_0001";
    public const string EncryptedCode = "hlO0WOoMx7OGuJqEiaJ9Wg==";
    public const string EncryptedNewSecret = "0cgXaKFoIO7mrN6cS9IDq/dGggycBErfbe3hr3PVKNgWemMqnfpSKWV+7PyMQNjf";
    public const string EncryptedOldSecret = "0cgXaKFoIO7mrN6cS9IDq0hGbtEccenJoeqHveL30y8zjlH1KeoB3BrkKdBSgRHK";

    [Fact]
    public void Binding_code_encrypts_to_the_documented_vector()
    {
        Assert.Equal(EncryptedCode, PureBtCrypto.Encrypt(Ps, Random, "A1B2C3D4"));
    }

    [Fact]
    public void Binding_secret_payloads_encrypt_to_the_documented_vectors()
    {
        Assert.Equal(EncryptedNewSecret, PureBtCrypto.Encrypt(Ps, Random, $"{Pk},{Dk},NewSecret12345678"));
        Assert.Equal(EncryptedOldSecret, PureBtCrypto.Encrypt(Ps, Random, $"{Pk},{Dk},OldSecret12345678"));
    }

    [Fact]
    public void Documented_ciphertexts_decrypt_back()
    {
        var key = PureBtCrypto.KeyOf(Ps)!;
        Assert.Equal("A1B2C3D4", PureBtCrypto.TryDecrypt(key, Random, EncryptedCode));
        Assert.Equal((Pk, Dk, "NewSecret12345678"), PureBtCrypto.ParseSecretPayload(PureBtCrypto.TryDecrypt(key, Random, EncryptedNewSecret)));
    }

    [Fact]
    public void Signature_over_the_plain_code_matches_the_documented_vector()
    {
        Assert.Equal("f733faf8bee36b7e827799efdf56971cc098eb58b636cc293dcd895dd1284892",
            PureBtCrypto.Signature(Pk, Dk, "A1B2C3D4", null, UserDomainSecret));
    }

    [Fact]
    public void Signature_over_the_encrypted_code_and_pwd_matches_the_documented_vector()
    {
        Assert.Equal("45ccdd452c00caa6fc0d0bccfb6f0389d503a30e5062f7a42b57c565b191edae",
            PureBtCrypto.Signature(Pk, Dk, EncryptedCode, "pw123", UserDomainSecret));
    }

    [Fact]
    public void Signature_comparison_accepts_uppercase_hex_and_rejects_any_other_value()
    {
        const string expected = "f733faf8bee36b7e827799efdf56971cc098eb58b636cc293dcd895dd1284892";
        Assert.True(PureBtCrypto.SignatureMatches(expected.ToUpperInvariant(), expected));
        Assert.False(PureBtCrypto.SignatureMatches("0" + expected[1..], expected));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("")]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    public void Garbage_ciphertext_decrypts_to_null_not_an_exception(string base64)
    {
        Assert.Null(PureBtCrypto.TryDecrypt(PureBtCrypto.KeyOf(Ps)!, Random, base64));
    }

    [Fact]
    public void A_different_random_does_not_decrypt_to_the_same_code()
    {
        Assert.NotEqual("A1B2C3D4", PureBtCrypto.TryDecrypt(PureBtCrypto.KeyOf(Ps)!, "OtherRandom12345", EncryptedCode));
    }

    [Theory]
    [InlineData("RandomIV12345678", true)]
    [InlineData("RandomIV1234567", false)]
    [InlineData("RandomIV123456789", false)]
    [InlineData("RandomIV1234567!", false)]
    public void Random_is_sixteen_alphanumeric_characters(string random, bool valid)
    {
        Assert.Equal(valid, PureBtCrypto.IsValidRandom(random));
    }

    [Theory]
    [InlineData("p,d,Secret123", true)]
    [InlineData("p,d,short", false)]
    [InlineData("p,d,Secret123,extra", false)]
    [InlineData(",d,Secret123", false)]
    public void Secret_payload_is_exactly_pk_dk_secret(string payload, bool valid)
    {
        Assert.Equal(valid, PureBtCrypto.ParseSecretPayload(payload) is not null);
    }
}
