using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

/// <summary>Body size limits and hostile bodies, against real Kestrel (the in-memory server enforces no body limit).</summary>
public sealed class RequestLimitTests(KestrelRegistryApp app) : IClassFixture<KestrelRegistryApp>
{
    private readonly HttpClient _admin = app.CreateAdminClient();

    public static TheoryData<string, string> JsonEndpoints => new()
    {
        { "POST", "/admin/v1/user-domains" },
        { "PATCH", "/admin/v1/user-domains/C.DM.x" },
        { "POST", "/admin/v1/products" },
        { "PATCH", "/admin/v1/products/p1" },
        { "POST", "/admin/v1/products/p1/devices" },
    };

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task A_body_over_the_global_limit_is_9002_with_HTTP_413(string method, string url)
    {
        var body = "{\"name\":\"" + new string('x', 100 * 1024) + "\"}";
        var answer = await _admin.SendRawAsync(new HttpMethod(method), url, body);
        answer.AssertError(Errors.RequestTooLarge, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [MemberData(nameof(JsonEndpoints))]
    public async Task Hostile_bodies_never_cause_an_internal_error(string method, string url)
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 64)) + "1" + new string('}', 64);
        string[] bodies =
        [
            "\u0000\u0001\u0002", "{\"name\":\"\\ud800\"}", deep, "{\"bindingMode\":1e400}",
            "{\"userCap\":99999999999999999999}", "{\"methods\":[null]}", "{\"userDomains\":[null]}", "{\"methods\":[[]]}",
            "{\"dk\":null,\"sn\":null}", "\"just a string\"", "123", "{\"homeMode\":true}{\"homeMode\":true}",
        ];
        foreach (var body in bodies)
        {
            var answer = await _admin.SendRawAsync(new HttpMethod(method), url, body);
            Assert.True((int)answer.Status is >= 400 and < 500, $"{body} → {answer}");
            Assert.NotEqual(Errors.InternalError.Code, answer.Code);
        }
    }

    [Fact]
    public async Task An_import_may_exceed_the_global_limit_up_to_the_import_limit()
    {
        var product = await (await Tenant.CreateAsync(app)).CreateProductAsync(bindingMode: 1);
        var body = new StringBuilder();
        for (var i = 0; i < 5_000; i++)
        {
            body.Append(DeviceImportTests.JsonLine(DeviceImportTests.NewImei(), "L" + i)).Append('\n');
        }
        Assert.InRange(body.Length, 128 * 1024, KestrelRegistryApp.ImportLimitBytes);
        var answer = await _admin.SendRawAsync(HttpMethod.Post, $"/admin/v1/products/{product.Pk}/devices/import", body.ToString(), "application/x-ndjson");
        answer.AssertOk();
        Assert.Equal(5_000, answer.Data.GetProperty("imported").GetInt32());
    }

    [Fact]
    public async Task An_import_over_the_import_limit_is_9002_whether_its_length_is_announced_or_not()
    {
        var product = await (await Tenant.CreateAsync(app)).CreateProductAsync(bindingMode: 1);
        var url = $"/admin/v1/products/{product.Pk}/devices/import";
        var line = Encoding.UTF8.GetBytes(new string(' ', 1023) + "\n");
        var lines = (int)(KestrelRegistryApp.ImportLimitBytes / line.Length) + 10;

        var announced = new ByteArrayContent(Enumerable.Range(0, lines).SelectMany(_ => line).ToArray());
        announced.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        (await AdminHttp.ReadAsync(await _admin.PostAsync(url, announced))).AssertError(Errors.RequestTooLarge, HttpStatusCode.RequestEntityTooLarge);

        var chunked = new StreamedContent("application/x-ndjson", async stream =>
        {
            for (var i = 0; i < lines; i++)
            {
                await stream.WriteAsync(line);
            }
        });
        (await AdminHttp.ReadAsync(await app.CreateStreamingAdminClient().PostAsync(url, chunked))).AssertError(Errors.RequestTooLarge, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Devices_are_committed_in_batches_while_the_body_is_still_arriving()
    {
        // The body pauses after 2,500 lines until the server shows imported devices. A server that read the whole
        // body before writing would never show them, and the upload would give up waiting.
        var product = await (await Tenant.CreateAsync(app)).CreateProductAsync(bindingMode: 1);
        var observer = app.CreateAdminClient();
        var sawDevicesMidUpload = false;
        var content = new StreamedContent("application/x-ndjson", async stream =>
        {
            await DeviceImportTests.WriteLinesAsync(stream, 0, 2_500);
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                var total = (await observer.GetAnswerAsync($"/admin/v1/products/{product.Pk}/devices?limit=1")).Data.GetProperty("total").GetInt64();
                if (total >= 1_000)
                {
                    sawDevicesMidUpload = true;
                    break;
                }
                await Task.Delay(20);
            }
            await DeviceImportTests.WriteLinesAsync(stream, 2_500, 3_000);
        });
        var answer = await AdminHttp.ReadAsync(await app.CreateStreamingAdminClient().PostAsync($"/admin/v1/products/{product.Pk}/devices/import", content));
        answer.AssertOk();
        Assert.True(sawDevicesMidUpload, "no device was committed before the body ended");
        Assert.Equal(3_000, answer.Data.GetProperty("imported").GetInt32());
    }
}
