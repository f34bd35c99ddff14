using Bindery.Cli;

namespace Bindery.Tests.Cli;

/// <summary>The simulator's pure-BT request reproduces the test vectors of docs/protocol.md.</summary>
public sealed class PureBtPayloadTests
{
    private static PureBtPayload.Input Vector => new("p1x2y3z4", "864000000000005", "0123456789abcdef", "uds_test_secret_0001", "A1B2C3D4")
    {
        Random = "RandomIV12345678",
        NewBindingSecret = "NewSecret12345678",
        OldBindingSecret = "OldSecret12345678",
        Pwd = "pw123",
    };

    [Fact]
    public void Encrypted_code_secrets_and_signature_match_the_documented_vectors()
    {
        var (payload, newSecret) = PureBtPayload.Create(Vector);

        Assert.Equal("NewSecret12345678", newSecret);
        Assert.Equal("hlO0WOoMx7OGuJqEiaJ9Wg==", payload.EncryptedBindingCode);
        Assert.Null(payload.BindingCode);
        Assert.Equal("0cgXaKFoIO7mrN6cS9IDq/dGggycBErfbe3hr3PVKNgWemMqnfpSKWV+7PyMQNjf", payload.EncryptedNewBindingSecret);
        Assert.Equal("0cgXaKFoIO7mrN6cS9IDq0hGbtEccenJoeqHveL30y8zjlH1KeoB3BrkKdBSgRHK", payload.EncryptedOldBindingSecret);
        Assert.Equal("45ccdd452c00caa6fc0d0bccfb6f0389d503a30e5062f7a42b57c565b191edae", payload.Signature);
        Assert.Contains("\"encryptedNewBindingSecret\":\"0cgXaKFoIO7mrN6cS9IDq/dGggycBErfbe3hr3PVKNgWemMqnfpSKWV+7PyMQNjf\"", payload.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_code_is_sent_as_is_and_signed_as_is()
    {
        var (payload, _) = PureBtPayload.Create(Vector with { PlainCode = true, Pwd = null, OldBindingSecret = null });

        Assert.Equal("A1B2C3D4", payload.BindingCode);
        Assert.Null(payload.EncryptedBindingCode);
        Assert.Null(payload.EncryptedOldBindingSecret);
        Assert.Equal("f733faf8bee36b7e827799efdf56971cc098eb58b636cc293dcd895dd1284892", payload.Signature);
        Assert.DoesNotContain("pwd", payload.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fresh_randoms_and_secrets_are_generated_when_not_given()
    {
        var (first, firstSecret) = PureBtPayload.Create(Vector with { Random = null, NewBindingSecret = null });
        var (second, secondSecret) = PureBtPayload.Create(Vector with { Random = null, NewBindingSecret = null });

        Assert.Matches("^[A-Za-z0-9]{16}$", first.Random);
        Assert.NotEqual(first.Random, second.Random);
        Assert.NotEqual(firstSecret, secondSecret);
    }

    [Fact]
    public void A_product_secret_that_is_not_an_AES_128_key_is_refused()
    {
        var error = Assert.Throws<SimulatorException>(() => PureBtPayload.Create(Vector with { ProductSecret = "short" }));
        Assert.Contains("16 ASCII characters", error.Message, StringComparison.Ordinal);
    }
}
