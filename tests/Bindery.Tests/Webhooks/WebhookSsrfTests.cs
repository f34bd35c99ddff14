using System.Net;
using Bindery.Infrastructure;
using Bindery.Storage;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Webhooks;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace Bindery.Tests.Webhooks;

/// <summary>A server on the default <c>Webhooks:AllowPrivateNetworks=false</c>, fast retries.</summary>
public sealed class SsrfFixture() : BindingFixture(new Dictionary<string, string?>(WebhookApi.FastSettings(maxAttempts: 2))
{
    ["Webhooks:AllowPrivateNetworks"] = "false",
});

/// <summary>
/// The SSRF rules (docs/events.md, "Webhooks"): only http(s) URLs without user information, and no loopback,
/// private, link-local or other non-public address — refused at registration, and again at connect time against the
/// address actually connected to (a name that now resolves to loopback gets nothing sent).
/// </summary>
public sealed class WebhookSsrfTests(SsrfFixture fx) : IClassFixture<SsrfFixture>
{
    private readonly HttpClient _admin = fx.App.CreateAdminClient();

    [Theory]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://127.1.2.3:8080/hook")]
    [InlineData("http://localhost:5080/hook")]
    [InlineData("http://api.localhost/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://172.16.0.1/hook")]
    [InlineData("http://192.168.1.10/hook")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://255.255.255.255/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[::]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[fd12:3456::1]/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://[::ffff:10.0.0.1]/hook")]
    [InlineData("http://[64:ff9b::a00:1]/hook")]
    [InlineData("http://[2002:c0a8:0101::1]/hook")]
    [InlineData("http://[ff02::1]/hook")]
    [InlineData("http://2130706433/hook")]
    [InlineData("http://0x7f000001/hook")]
    public async Task Registering_a_non_public_address_is_refused(string url)
    {
        var product = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var envelope = await WebhookApi.PostAsync(_admin, WebhookApi.Base, new { url, pk = product.Pk });
        Assert.True(envelope.Code() == Errors.WebhookUrlForbidden.Code, envelope.ToString());
    }

    [Theory]
    [InlineData("ftp://hooks.example.com/x")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://hooks.example.com/")]
    [InlineData("https://user:password@hooks.example.com/x")]
    [InlineData("https://user@hooks.example.com/x")]
    [InlineData("/relative/path")]
    [InlineData("hooks.example.com/x")]
    [InlineData("")]
    public async Task Registering_a_URL_that_is_not_plain_http_or_https_is_refused(string url)
    {
        var product = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var envelope = await WebhookApi.PostAsync(_admin, WebhookApi.Base, new { url, pk = product.Pk });
        Assert.True(envelope.Code() == Errors.WebhookUrlInvalid.Code, envelope.ToString());
    }

    [Fact]
    public async Task A_public_address_is_accepted()
    {
        var product = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var (id, _) = await WebhookApi.RegisterAsync(_admin, "https://93.184.215.14/hooks/bindery", pk: product.Pk);
        Assert.StartsWith("wh_", id, StringComparison.Ordinal);
        Assert.Equal(200, (await (await _admin.DeleteAsync($"{WebhookApi.Base}/{id}")).ReadEnvelopeAsync()).Code());
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("100.128.0.1", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("fc00::1", false)]
    [InlineData("fec0::1", false)]
    [InlineData("2001:db8::1", false)]
    public void Which_addresses_are_public(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookUrls.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task At_connect_time_a_name_resolving_to_loopback_is_refused_before_anything_is_sent()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = (context, cancellationToken) => WebhookUrls.ConnectAsync(context, allowPrivate: false, cancellationToken),
        };
        using var client = new HttpClient(handler);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.PostAsync($"http://localhost:{receiver.Port}/hooks/bindery", new StringContent("{}")));
        Assert.IsType<RefusedAddressException>(refused.InnerException);
        Assert.Empty(receiver.Requests);
    }

    [Fact]
    public async Task A_registered_endpoint_whose_address_turned_private_gets_nothing_and_goes_dead()
    {
        await using var receiver = await WebhookReceiver.StartNewAsync();
        var product = await fx.Tenant.CreateProductAsync(bindingMode: 1);
        var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
        var user = await fx.Tenant.CreateUserAsync();
        var (id, _) = await WebhookApi.RegisterAsync(_admin, "https://93.184.215.14/hooks/bindery", pk: product.Pk);
        // As if its DNS name now resolved to the receiver on loopback (DNS rebinding): the URL changes under the API.
        var db = fx.App.Services.GetRequiredService<IDatabase>();
        await db.WriteAsync(tx => tx.ExecuteAsync("UPDATE webhook_endpoints SET url = @Url WHERE id = @Id", new { receiver.Url, Id = id }));

        Assert.Equal(200, (await BindingApi.BindSnAsync(user.Client, device.Pk, device.Sn)).Code());

        var dead = await WebhookApi.WaitForDeliveriesAsync(_admin, id, DeliveryStates.Dead, 1);
        Assert.StartsWith("refused", dead[0].GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);
    }
}
