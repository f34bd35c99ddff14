using System.Net;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

public sealed class AdminAuthTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "/admin/v1/data-center" },
        { "GET", "/admin/v1/user-domains" },
        { "POST", "/admin/v1/user-domains" },
        { "PATCH", "/admin/v1/user-domains/C.DM.x" },
        { "DELETE", "/admin/v1/user-domains/C.DM.x" },
        { "GET", "/admin/v1/products" },
        { "POST", "/admin/v1/products" },
        { "GET", "/admin/v1/products/p1" },
        { "DELETE", "/admin/v1/products/p1" },
        { "POST", "/admin/v1/products/p1/devices" },
        { "GET", "/admin/v1/products/p1/devices" },
        { "POST", "/admin/v1/products/p1/devices/import" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Without_the_admin_key_every_endpoint_answers_9004_with_HTTP_401(string method, string url)
    {
        var answer = await app.CreateClient().SendRawAsync(new HttpMethod(method), url, "{\"homeMode\":true}");
        answer.AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("test-admin-key-012345678")] // the right key minus its last character
    [InlineData(BinderyApp.AdminKeyValue + "9")]
    public async Task A_wrong_admin_key_is_refused_like_a_missing_one(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Admin-Key", key);
        var answer = await client.SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { homeMode = true });
        answer.AssertError(Errors.AdminKeyInvalid, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Refused_requests_create_nothing()
    {
        var admin = app.CreateAdminClient();
        var before = (await admin.GetAnswerAsync("/admin/v1/user-domains")).Data.GetProperty("total").GetInt64();
        await app.CreateClient().SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { homeMode = true });
        var after = (await admin.GetAnswerAsync("/admin/v1/user-domains")).Data.GetProperty("total").GetInt64();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task The_data_center_is_the_deployments_configured_one()
    {
        var answer = await app.CreateAdminClient().GetAnswerAsync("/admin/v1/data-center");
        answer.AssertOk();
        Assert.Equal("dc-test", answer.Data.GetProperty("dataCenter").GetString());
    }

    [Fact]
    public async Task Errors_follow_Accept_Language()
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("Accept-Language", "zh-CN");
        var answer = await client.GetAnswerAsync("/admin/v1/data-center");
        Assert.Equal(Errors.AdminKeyInvalid.Chinese, answer.Envelope.GetProperty("msg").GetString());
    }
}
