using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// The pure-BT endpoint is no oracle (finding 6 of the security review, docs/protocol.md): every way a proof can fail
/// gets the same answer, byte for byte, and counts as one failed guess, so a prober learns nothing about which check
/// failed — not whether the padding was good, the code reported, used or expired, the random or a ciphertext fresh.
/// </summary>
public sealed class PureBtOracleTests(PureBtReplayFixture fx) : IClassFixture<PureBtReplayFixture>
{
    private Tenant Tenant => fx.Tenant;

    private Tenant.Product Product => fx.Rotation;

    /// <summary>A failure kind: sets up a device and returns the body that fails in exactly that way, and nothing else.</summary>
    private delegate Task<Func<Tenant.User, Task<(int Status, string Body)>>> Scenario();

    private async Task<(Tenant.Device Device, DeviceClient Side)> DeviceAsync()
    {
        var device = await Tenant.CreateDeviceAsync(Product.Pk, mac: true);
        return (device, fx.Binding.DeviceClient(device));
    }

    private static async Task<(int Status, string Body)> PostAsync(Tenant.User user, Dictionary<string, object?> body)
    {
        var response = await user.Client.PostAsJsonAsync($"{BindingApi.Base}/deviceBindingByPureBt", body);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static Func<Tenant.User, Task<(int Status, string Body)>> Send(Dictionary<string, object?> body) => user => PostAsync(user, body);

    /// <summary>Binds the device for a throwaway user with a fresh code and returns that bind's body.</summary>
    private async Task<Dictionary<string, object?>> BindOnceAsync(Tenant.Device device, DeviceClient side, string? oldSecret = null, string? random = null)
    {
        var body = PureBt.Body(Tenant, Product, device, await side.ReportNewCodeAsync(), DeviceClient.NewSecret(), oldSecret, random);
        var answer = await BindingApi.BindPureBtAsync((await Tenant.CreateUserAsync()).Client, body);
        Assert.True(answer.Code() == 200, answer.ToString());
        return body;
    }

    private IReadOnlyList<(string Kind, Scenario Setup)> Kinds() =>
    [
        ("signature mismatch", async () =>
        {
            var (device, side) = await DeviceAsync();
            var body = PureBt.Body(Tenant, Product, device, await side.ReportNewCodeAsync(), DeviceClient.NewSecret());
            body["signature"] = new string('0', 64);
            return Send(body);
        }),
        ("random reused", async () =>
        {
            var (device, side) = await DeviceAsync();
            var random = PureBt.NewRandom();
            await BindOnceAsync(device, side, random: random);
            return Send(PureBt.Body(Tenant, Product, device, await side.ReportNewCodeAsync(), DeviceClient.NewSecret(), random: random));
        }),
        ("ciphertext reused", async () =>
        {
            // The re-signed case-variant attack of PureBtReplayTests: only the single use of ciphertexts fails.
            var (device, side) = await DeviceAsync();
            var oldSecret = DeviceClient.NewSecret();
            await side.ReportBindingSecretAsync(oldSecret);
            var captured = await BindOnceAsync(device, side, oldSecret, PureBt.LetterRandom());
            var body = PureBt.Copy(captured);
            body["random"] = PureBt.FlipCase((string)captured["random"]!, 14);
            body["dk"] = PureBt.FlipCase(device.Dk, 0);
            body.Remove("encryptedBindingCode");
            body["bindingCode"] = "MadeUp123";
            body["encryptedOldBindingSecret"] = captured["encryptedNewBindingSecret"];
            body["encryptedNewBindingSecret"] = captured["encryptedOldBindingSecret"];
            return Send(PureBt.Resigned(Tenant, body));
        }),
        ("bad padding", async () =>
        {
            var (device, side) = await DeviceAsync();
            var body = PureBt.Body(Tenant, Product, device, await side.ReportNewCodeAsync(), DeviceClient.NewSecret());
            body["encryptedBindingCode"] = Convert.ToBase64String(new byte[32]);
            return Send(PureBt.Resigned(Tenant, body));
        }),
        ("payload dk not byte-equal to the sent dk", async () =>
        {
            var (device, side) = await DeviceAsync();
            var code = await side.ReportNewCodeAsync();
            var random = PureBt.NewRandom();
            var body = PureBt.Body(Tenant, Product, device, code, DeviceClient.NewSecret(), random: random);
            var separated = string.Join(':', Enumerable.Range(0, 6).Select(i => device.Dk.Substring(i * 2, 2)));
            body["encryptedNewBindingSecret"] = PureBt.Body(Tenant, Product, device, code, DeviceClient.NewSecret(), random: random, dkText: separated)["encryptedNewBindingSecret"];
            return Send(body);
        }),
        ("old secret mismatch", async () =>
        {
            var (device, side) = await DeviceAsync();
            await side.ReportBindingSecretAsync(DeviceClient.NewSecret());
            return Send(PureBt.Body(Tenant, Product, device, await side.ReportNewCodeAsync(), DeviceClient.NewSecret(), DeviceClient.NewSecret()));
        }),
        ("code not reported", async () =>
        {
            var (device, _) = await DeviceAsync();
            return Send(PureBt.Body(Tenant, Product, device, "NeverReported1", DeviceClient.NewSecret()));
        }),
        ("code expired", async () =>
        {
            var (device, side) = await DeviceAsync();
            var body = PureBt.Body(Tenant, Product, device, await side.ReportNewCodeAsync(lifetime: 60), DeviceClient.NewSecret());
            return async user =>
            {
                fx.Binding.App.Clock.Advance(TimeSpan.FromSeconds(61));
                try
                {
                    return await PostAsync(user, body);
                }
                finally
                {
                    fx.Binding.App.Clock.Advance(TimeSpan.FromSeconds(-61));
                }
            };
        }),
        ("code used", async () =>
        {
            var (device, side) = await DeviceAsync();
            var code = await side.ReportNewCodeAsync();
            Assert.Equal(200, (await BindingApi.BindPureBtAsync((await Tenant.CreateUserAsync()).Client,
                PureBt.Body(Tenant, Product, device, code, DeviceClient.NewSecret()))).Code());
            return Send(PureBt.Body(Tenant, Product, device, code, DeviceClient.NewSecret()));
        }),
        ("code wrong", async () =>
        {
            var (device, side) = await DeviceAsync();
            await side.ReportNewCodeAsync();
            return Send(PureBt.Body(Tenant, Product, device, DeviceClient.NewCode(), DeviceClient.NewSecret()));
        }),
        ("code void after five wrong guesses", async () =>
        {
            var (device, side) = await DeviceAsync();
            var code = await side.ReportNewCodeAsync();
            var guesser = await Tenant.CreateUserAsync();
            for (var i = 0; i < 5; i++)
            {
                await BindingApi.BindPureBtAsync(guesser.Client, PureBt.Body(Tenant, Product, device, DeviceClient.NewCode(), DeviceClient.NewSecret()));
            }
            Assert.Equal("used", (await side.StateAsync()).GetProperty("bindingCode").GetString());
            return Send(PureBt.Body(Tenant, Product, device, code, DeviceClient.NewSecret()));
        }),
    ];

    [Fact]
    public async Task Every_failed_proof_gets_the_same_answer_byte_for_byte()
    {
        var answers = new List<(string Kind, int Status, string Body)>();
        foreach (var (kind, setup) in Kinds())
        {
            var send = await setup();
            var (status, body) = await send(await Tenant.CreateUserAsync());
            answers.Add((kind, status, body));
        }

        var expected = answers[0];
        var envelope = System.Text.Json.JsonDocument.Parse(expected.Body).RootElement;
        Assert.Equal(Errors.DeviceVerificationFailed.Code, envelope.Code());
        Assert.Equal("", envelope.GetProperty("extMsg").GetString());
        Assert.All(answers, a => Assert.True(a.Status == expected.Status && a.Body == expected.Body,
            $"{a.Kind} answered {a.Status} {a.Body}, {expected.Kind} answered {expected.Status} {expected.Body}"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Every_failed_proof_counts_as_one_failed_guess(int skip)
    {
        // Ten failures of ten different kinds lock the user out (Binding:FailuresPerUser = 10): each one counted.
        var prober = await Tenant.CreateUserAsync();
        foreach (var (kind, setup) in Kinds().Skip(skip).Take(10))
        {
            var send = await setup();
            var (_, body) = await send(prober);
            Assert.True(body.Contains($"\"code\":{Errors.DeviceVerificationFailed.Code},", StringComparison.Ordinal), $"{kind}: {body}");
        }
        var (device, side) = await DeviceAsync();
        var valid = PureBt.Body(Tenant, Product, device, await side.ReportNewCodeAsync(), DeviceClient.NewSecret());
        Assert.Equal(Errors.TooManyAttempts.Code, (await BindingApi.BindPureBtAsync(prober.Client, valid)).Code());
    }
}
