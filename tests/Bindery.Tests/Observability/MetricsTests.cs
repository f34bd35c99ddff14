using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;
using Bindery.Tests.Tencent;

namespace Bindery.Tests.Observability;

/// <summary>A server with the Prometheus endpoint on, behind a scrape token.</summary>
public sealed class MetricsFixture() : BindingFixture(new Dictionary<string, string?>
{
    ["Metrics:Prometheus:Enabled"] = "true",
    ["Metrics:Prometheus:ScrapeToken"] = ScrapeToken,
})
{
    public const string ScrapeToken = "scrape-token-0123456789abcdef";

    public Task<PrometheusScrape> ScrapeAsync() => PrometheusScrape.ReadAsync(App.CreateClient(), ScrapeToken);
}

/// <summary>
/// The meter is process-wide by name: a server of another test class running at the same time would move these
/// counters too. This collection runs alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Metrics (runs alone)";
}

/// <summary>
/// docs/operations.md, "Metrics": binds, unbinds and device reports counted once each with their dialect, method,
/// outcome and catalogued code; the MQTT and store instruments; the scrape endpoint's token; no label holds an id.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests(MetricsFixture fx) : IClassFixture<MetricsFixture>
{
    private const string Binds = "bindery_binds_total";
    private const string Unbinds = "bindery_unbinds_total";
    private const string Reports = "bindery_device_reports_total";

    private static string Code(ErrorDef error) => error.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<(Tenant.Device Device, DeviceClient DeviceSide)> DeviceAsync(Tenant tenant)
    {
        var product = await tenant.CreateProductAsync(bindingMode: 1, methods: ["SN", "WIFI", "BT", "TOKEN"]);
        var device = await tenant.CreateDeviceAsync(product.Pk);
        return (device, fx.DeviceClient(device));
    }

    /// <summary>Asserts the scrape holds none of the given values in any label (ids, keys, codes, tokens the test used).</summary>
    private static void AssertNoLabelHolds(PrometheusScrape scrape, params string[] secrets)
    {
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            Assert.DoesNotContain(scrape.LabelValues, value => value.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(secret, scrape.Text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Quectel_binds_and_refusals_count_by_method_outcome_and_code_and_their_device_reports_too()
    {
        var (device, deviceSide) = await DeviceAsync(fx.Tenant);
        var user = await fx.Tenant.CreateUserAsync();
        var before = await fx.ScrapeAsync();

        var bound = await BindingApi.BindWifiOkAsync(fx, user, device);
        var wrongSn = await BindingApi.BindSnAsync(user.Client, device.Pk, "SN000000000000");
        var snRefusal = wrongSn.Code().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(200, wrongSn.Code());
        var anonymous = await BindingApi.BindWifiAsync(fx.App.CreateClient(), BindingApi.WifiBody(device, "Code12345"));
        Assert.Equal(Errors.TokenMissing.Code, anonymous.Code());

        var after = await fx.ScrapeAsync();
        (string, string)[] quectel = [("dialect", "quectel")];
        Assert.Equal(1, after.Sum(Binds, [.. quectel, ("method", "wifi"), ("outcome", "bound"), ("code", "0")]) - before.Sum(Binds, [.. quectel, ("method", "wifi"), ("outcome", "bound"), ("code", "0")]));
        Assert.Equal(1, after.Sum(Binds, [.. quectel, ("method", "sn"), ("outcome", "refused"), ("code", snRefusal)]) - before.Sum(Binds, [.. quectel, ("method", "sn"), ("outcome", "refused"), ("code", snRefusal)]));
        Assert.Equal(1, after.Sum(Binds, [.. quectel, ("method", "wifi"), ("outcome", "refused"), ("code", Code(Errors.TokenMissing))])
            - before.Sum(Binds, [.. quectel, ("method", "wifi"), ("outcome", "refused"), ("code", Code(Errors.TokenMissing))]));
        Assert.Equal(3, after.Sum(Binds, quectel) - before.Sum(Binds, quectel));
        // BindWifiOkAsync: the device reported a bindingSecret and a bindingCode over HTTP.
        Assert.Equal(1, after.Sum(Reports, ("kind", "secret"), ("transport", "http"), ("outcome", "accepted"), ("code", "0"))
            - before.Sum(Reports, ("kind", "secret"), ("transport", "http"), ("outcome", "accepted"), ("code", "0")));
        Assert.Equal(1, after.Sum(Reports, ("kind", "code"), ("transport", "http"), ("outcome", "accepted"), ("code", "0"))
            - before.Sum(Reports, ("kind", "code"), ("transport", "http"), ("outcome", "accepted"), ("code", "0")));
        AssertNoLabelHolds(after, user.Uid, user.Username, user.Token, device.Pk, device.Dk, device.Sn, device.DeviceSecret,
            bound.GetProperty("authKey").GetString()!, fx.Tenant.DomainId, deviceSide.Device.DeviceSecret);
    }

    [Fact]
    public async Task Unbinds_count_by_outcome_and_code()
    {
        var (device, _) = await DeviceAsync(fx.Tenant);
        var user = await fx.Tenant.CreateUserAsync();
        await BindingApi.BindWifiOkAsync(fx, user, device);
        var before = await fx.ScrapeAsync();

        Assert.Equal(200, (await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk)).Code());
        var again = await BindingApi.UnbindAsync(user.Client, device.Pk, device.Dk);
        Assert.Equal(Errors.DeviceNotBound.Code, again.Code());

        var after = await fx.ScrapeAsync();
        Assert.Equal(1, after.Sum(Unbinds, ("dialect", "quectel"), ("outcome", "unbound"), ("code", "0")) - before.Sum(Unbinds, ("dialect", "quectel"), ("outcome", "unbound"), ("code", "0")));
        Assert.Equal(1, after.Sum(Unbinds, ("dialect", "quectel"), ("outcome", "refused"), ("code", Code(Errors.DeviceNotBound)))
            - before.Sum(Unbinds, ("dialect", "quectel"), ("outcome", "refused"), ("code", Code(Errors.DeviceNotBound))));
        AssertNoLabelHolds(after, user.Uid, user.Token, device.Pk, device.Dk, device.Sn);
    }

    [Fact]
    public async Task Tencent_token_binds_refusals_and_unbinds_count_under_their_dialect()
    {
        var (device, deviceSide) = await DeviceAsync(fx.HomeTenant);
        var user = await fx.HomeTenant.CreateUserAsync();
        var api = new TencentApi(fx.App.CreateClient(), user.Token);
        var familyId = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        var token = await api.CreateTokenAsync();
        await deviceSide.ReportTokenOkAsync(token);
        var before = await fx.ScrapeAsync();

        Assert.Equal("InvalidParameterValue.TokenNotExist", TencentApi.ErrorCode(await api.BindAsync(new string('a', 32), device, familyId)));
        var bound = await api.BindAsync(token, device, familyId);
        Assert.False(bound.TryGetProperty("Error", out _), bound.ToString());
        var deleted = await api.CallAsync("AppDeleteDeviceInFamily", new() { ["FamilyId"] = familyId, ["ProductId"] = device.Pk, ["DeviceName"] = device.Dk });
        Assert.False(deleted.TryGetProperty("Error", out _), deleted.ToString());
        // An action that is neither a bind nor an unbind is not counted.
        await api.OkAsync("AppGetFamilyList");

        var after = await fx.ScrapeAsync();
        (string, string)[] token_ = [("dialect", "tencent"), ("method", "tencent_token")];
        Assert.Equal(1, after.Sum(Binds, [.. token_, ("outcome", "bound"), ("code", "0")]) - before.Sum(Binds, [.. token_, ("outcome", "bound"), ("code", "0")]));
        Assert.Equal(1, after.Sum(Binds, [.. token_, ("outcome", "refused"), ("code", Code(Errors.BindTokenNotExist))])
            - before.Sum(Binds, [.. token_, ("outcome", "refused"), ("code", Code(Errors.BindTokenNotExist))]));
        Assert.Equal(2, after.Sum(Binds, ("dialect", "tencent")) - before.Sum(Binds, ("dialect", "tencent")));
        Assert.Equal(1, after.Sum(Unbinds, ("dialect", "tencent"), ("outcome", "unbound")) - before.Sum(Unbinds, ("dialect", "tencent"), ("outcome", "unbound")));
        AssertNoLabelHolds(after, token, familyId, user.Uid, user.Token, device.Pk, device.Dk);
    }

    [Fact]
    public async Task Device_report_refusals_count_with_their_code()
    {
        var (device, deviceSide) = await DeviceAsync(fx.Tenant);
        var before = await fx.ScrapeAsync();

        var tooLong = await deviceSide.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345", lifetime = 3601 });
        Assert.Equal(Errors.InvalidParameterValue.Code, (await tooLong.ReadEnvelopeAsync()).Code());
        var forged = await deviceSide.SendAsync(HttpMethod.Post, "/device/v1/binding-code", new { bindingCode = "Code12345" }, secret: "not-the-secret");
        Assert.Equal(Errors.DeviceAuthFailed.Code, (await forged.ReadEnvelopeAsync()).Code());
        await deviceSide.StateAsync();

        var after = await fx.ScrapeAsync();
        (string, string)[] code = [("kind", "code"), ("transport", "http"), ("outcome", "refused")];
        Assert.Equal(1, after.Sum(Reports, [.. code, ("code", Code(Errors.InvalidParameterValue))]) - before.Sum(Reports, [.. code, ("code", Code(Errors.InvalidParameterValue))]));
        Assert.Equal(1, after.Sum(Reports, [.. code, ("code", Code(Errors.DeviceAuthFailed))]) - before.Sum(Reports, [.. code, ("code", Code(Errors.DeviceAuthFailed))]));
        Assert.Equal(1, after.Sum(Reports, ("kind", "state"), ("outcome", "accepted")) - before.Sum(Reports, ("kind", "state"), ("outcome", "accepted")));
        AssertNoLabelHolds(after, device.Pk, device.Dk, device.DeviceSecret, "Code12345");
    }

    [Fact]
    public async Task The_store_and_mqtt_instruments_are_exported()
    {
        await fx.Tenant.CreateUserAsync();
        var scrape = await fx.ScrapeAsync();
        Assert.True(scrape.Sum("bindery_store_write_duration_seconds_count", ("store", fx.App.StoreProvider)) > 0, scrape.Text);
        // SQLite queues writes for its single writer; PostgreSQL has no queue to report.
        Assert.Equal(fx.App.StoreProvider == "sqlite", scrape.Has("bindery_store_write_queue"));
        Assert.Equal(0, scrape.Sum("bindery_mqtt_connections"));
        // The pending pushes are counted in the background after a scrape asks: a later scrape shows them.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!scrape.Has("bindery_mqtt_pushes_pending") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            scrape = await fx.ScrapeAsync();
        }
        Assert.True(scrape.Has("bindery_mqtt_pushes_pending"), scrape.Text);
        // ASP.NET Core's request metrics name the route template, never a path as sent.
        Assert.True(scrape.Has("http_server_request_duration_seconds_count"), scrape.Text);
        Assert.All(scrape.LabelValues.Where(v => v.StartsWith('/')), route => Assert.DoesNotContain(fx.Tenant.DomainId, route, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_scrape_endpoint_answers_only_the_scrape_token()
    {
        var client = fx.App.CreateClient();
        var anonymous = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(Errors.NoPermission.Code, (await anonymous.ReadEnvelopeAsync()).Code());
        Assert.DoesNotContain("bindery_", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        wrong.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", MetricsFixture.ScrapeToken + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);

        // The admin key is not a scrape token.
        using var admin = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        admin.Headers.Add("X-Admin-Key", BinderyApp.AdminKeyValue);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(admin)).StatusCode);

        var scrape = await fx.ScrapeAsync();
        Assert.Contains("# TYPE", scrape.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signature_QR_and_DK_binds_count_under_their_own_method_and_no_label_holds_a_signature()
    {
        var product = await fx.HomeTenant.CreateProductAsync(1, methods: ["SIG", "QR"]);
        var sigDevice = await fx.HomeTenant.CreateDeviceAsync(product.Pk);
        var qrDevice = await fx.HomeTenant.CreateDeviceAsync(product.Pk);
        var user = await fx.HomeTenant.CreateUserAsync();
        var api = new TencentApi(fx.App.CreateClient(), user.Token);
        var familyId = (await api.OkAsync("AppCreateFamily", new() { ["Name"] = "Home" })).GetProperty("FamilyId").GetString()!;
        var ts = fx.App.Clock.GetUtcNow().ToUnixTimeSeconds();
        var signature = SignatureBindingTests.DeviceSignature(sigDevice, ts, "mtrcs");
        var qr = (await (await fx.App.CreateAdminClient().PostAsJsonAsync($"/admin/v1/products/{qrDevice.Pk}/devices/{qrDevice.Dk}/qr-signature", new { }))
            .ReadEnvelopeAsync()).Data().GetProperty("deviceSignature").GetString()!;
        var dkProduct = await fx.Tenant.CreateProductAsync(1, methods: ["DK"]);
        var dkDevice = await fx.Tenant.CreateDeviceAsync(dkProduct.Pk);
        var dkUser = await fx.Tenant.CreateUserAsync();
        var code = await fx.DeviceClient(dkDevice).ReportNewCodeAsync();
        var before = await fx.ScrapeAsync();

        await api.OkAsync("AppSigBindDeviceInFamily", new()
        {
            ["FamilyId"] = familyId, ["ProductId"] = sigDevice.Pk, ["DeviceName"] = sigDevice.Dk, ["DeviceTimestamp"] = ts,
            ["ConnId"] = "mtrcs", ["Signature"] = signature,
        });
        await api.OkAsync("AppSecureAddDeviceInFamily", new() { ["FamilyId"] = familyId, ["DeviceSignature"] = qr });
        var dk = await (await dkUser.Client.PostAsync($"{BindingApi.Base}/bindDeviceDk?pk={dkDevice.Pk}&dk={dkDevice.Dk}&bindingCode={code}", null)).ReadEnvelopeAsync();
        Assert.Equal(200, dk.Code());

        var after = await fx.ScrapeAsync();
        foreach (var (dialect, method) in new[] { ("tencent", "tencent_sig"), ("tencent", "tencent_secure_add"), ("quectel", "dk") })
        {
            (string, string)[] bound = [("dialect", dialect), ("method", method), ("outcome", "bound"), ("code", "0")];
            Assert.Equal(1, after.Sum(Binds, bound) - before.Sum(Binds, bound));
        }
        AssertNoLabelHolds(after, signature, qr, code, sigDevice.DeviceSecret, user.Token);
    }
}

/// <summary>docs/operations.md: how the switches behave at start-up.</summary>
public sealed class TelemetryStartupTests
{
    [Fact]
    public async Task Without_any_exporter_configured_the_server_starts_and_has_no_scrape_endpoint()
    {
        using var app = new BinderyApp();
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_configured_the_server_starts_and_serves_even_when_no_collector_listens()
    {
        // A loopback port nobody listens on: the exporter's failures stay in the background.
        using var app = new BinderyApp(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        var tenant = await Tenant.CreateAsync(app);
        var user = await tenant.CreateUserAsync();
        var response = await user.Client.GetFromJsonAsync<JsonElement>("/v2/binding/enduserapi/userDeviceList");
        Assert.Equal(200, response.Code());
    }

    [Fact]
    public void The_scrape_endpoint_refuses_to_start_open_unless_told()
    {
        using var app = new BinderyApp(new Dictionary<string, string?> { ["Metrics:Prometheus:Enabled"] = "true" });
        var failure = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains("Metrics:Prometheus:ScrapeToken", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anonymous_scrape_endpoint_is_a_choice_the_deployment_makes()
    {
        using var app = new BinderyApp(new Dictionary<string, string?>
        {
            ["Metrics:Prometheus:Enabled"] = "true",
            ["Metrics:Prometheus:AllowAnonymous"] = "true",
        });
        var response = await app.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
