using System.Net;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Registry;

public sealed class UserDomainApiTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private readonly HttpClient _admin = app.CreateAdminClient();

    private static string NewId() => "C.DM.t" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Creating_with_only_homeMode_generates_an_id_and_a_long_random_secret()
    {
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        Assert.StartsWith("C.DM.", tenant.DomainId, StringComparison.Ordinal);
        Assert.True(tenant.DomainSecret.Length >= 32);
        var other = await Tenant.CreateAsync(app);
        Assert.NotEqual(tenant.DomainId, other.DomainId);
        Assert.NotEqual(tenant.DomainSecret, other.DomainSecret);
    }

    [Fact]
    public async Task A_chosen_id_and_secret_are_kept_and_readable()
    {
        var id = NewId();
        var created = await _admin.SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { id, homeMode = false, secret = "0123456789abcdef-secret" });
        created.AssertOk();
        var read = await _admin.GetAnswerAsync($"/admin/v1/user-domains/{id}");
        read.AssertOk();
        Assert.Equal(id, read.Data.GetProperty("id").GetString());
        Assert.Equal("0123456789abcdef-secret", read.Data.GetProperty("secret").GetString());
        Assert.False(read.Data.GetProperty("homeMode").GetBoolean());
    }

    [Fact]
    public async Task An_id_already_taken_is_refused_with_409()
    {
        var id = NewId();
        (await _admin.SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { id, homeMode = true })).AssertOk();
        var again = await _admin.SendAsync(HttpMethod.Post, "/admin/v1/user-domains", new { id, homeMode = false });
        again.AssertError(Errors.AlreadyExists, HttpStatusCode.Conflict, id);
        var read = await _admin.GetAnswerAsync($"/admin/v1/user-domains/{id}");
        Assert.True(read.Data.GetProperty("homeMode").GetBoolean());
    }

    [Theory]
    [InlineData("{}", 9000, "homeMode is required")]
    [InlineData("{\"homeMode\":null}", 9000, "homeMode is required")]
    [InlineData("{\"homeMode\":\"yes\"}", 9000, "$.homeMode")]
    [InlineData("{\"homeMode\":true,\"id\":5}", 9000, "$.id")]
    [InlineData("{\"homeMode\":true,\"id\":\"\"}", 9001, "id must be")]
    [InlineData("{\"homeMode\":true,\"id\":\"has space\"}", 9001, "id must be")]
    [InlineData("{\"homeMode\":true,\"secret\":\"short\"}", 9001, "secret must be")]
    [InlineData("[1,2]", 9000, "")]
    [InlineData("null", 9000, "body is required")]
    [InlineData("", 9000, "")]
    [InlineData("{\"homeMode\":true", 9000, "")]
    public async Task Bad_input_is_refused_with_a_code_and_a_message_naming_the_problem(string body, int code, string extMsg)
    {
        var answer = await _admin.SendRawAsync(HttpMethod.Post, "/admin/v1/user-domains", body);
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(code, answer.Code);
        Assert.Contains(extMsg, answer.ExtMsg, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_domain_is_404()
    {
        (await _admin.GetAnswerAsync("/admin/v1/user-domains/C.DM.nope")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        (await _admin.SendAsync(HttpMethod.Patch, "/admin/v1/user-domains/C.DM.nope", new { homeMode = true })).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        (await _admin.SendAsync(HttpMethod.Delete, "/admin/v1/user-domains/C.DM.nope")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Patch_switches_home_mode_and_leaves_the_secret_alone()
    {
        var tenant = await Tenant.CreateAsync(app, homeMode: false);
        var patched = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/user-domains/{tenant.DomainId}", new { homeMode = true });
        patched.AssertOk();
        Assert.True(patched.Data.GetProperty("homeMode").GetBoolean());
        Assert.Equal(tenant.DomainSecret, patched.Data.GetProperty("secret").GetString());
    }

    [Fact]
    public async Task Patch_rotates_the_secret_to_a_new_random_one_or_to_a_chosen_one()
    {
        var tenant = await Tenant.CreateAsync(app, homeMode: true);
        var rotated = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/user-domains/{tenant.DomainId}", new { rotateSecret = true });
        rotated.AssertOk();
        var newSecret = rotated.Data.GetProperty("secret").GetString()!;
        Assert.NotEqual(tenant.DomainSecret, newSecret);
        Assert.True(newSecret.Length >= 32);
        Assert.True(rotated.Data.GetProperty("homeMode").GetBoolean());

        var chosen = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/user-domains/{tenant.DomainId}", new { secret = "a-chosen-secret-of-some-length" });
        Assert.Equal("a-chosen-secret-of-some-length", chosen.Data.GetProperty("secret").GetString());
        var read = await _admin.GetAnswerAsync($"/admin/v1/user-domains/{tenant.DomainId}");
        Assert.Equal("a-chosen-secret-of-some-length", read.Data.GetProperty("secret").GetString());

        var both = await _admin.SendAsync(HttpMethod.Patch, $"/admin/v1/user-domains/{tenant.DomainId}", new { secret = "another-chosen-secret", rotateSecret = true });
        both.AssertError(Errors.InvalidParameterValue, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_list_pages_through_every_domain_in_id_order()
    {
        for (var i = 0; i < 3; i++)
        {
            await Tenant.CreateAsync(app);
        }
        var first = await _admin.GetAnswerAsync("/admin/v1/user-domains?offset=0&limit=2");
        first.AssertOk();
        var total = first.Data.GetProperty("total").GetInt64();
        Assert.True(total >= 3);
        Assert.Equal(2, first.Data.GetProperty("items").GetArrayLength());
        var all = await _admin.GetAnswerAsync("/admin/v1/user-domains?limit=1000");
        var ids = all.Data.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();
        Assert.Equal(total, ids.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(ids.Take(2), first.Data.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()!));
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=1001")]
    [InlineData("?offset=-1")]
    [InlineData("?limit=abc")]
    [InlineData("?offset=99999999999999")]
    public async Task Bad_paging_parameters_are_refused(string query)
    {
        var answer = await _admin.GetAnswerAsync("/admin/v1/user-domains" + query);
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains(answer.Code, new[] { 9000, 9001 });
    }

    [Fact]
    public async Task Delete_removes_an_unused_domain_and_its_product_grants()
    {
        var tenant = await Tenant.CreateAsync(app);
        var product = await tenant.CreateProductAsync(bindingMode: 1);
        (await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/user-domains/{tenant.DomainId}")).AssertOk();
        (await _admin.GetAnswerAsync($"/admin/v1/user-domains/{tenant.DomainId}")).AssertError(Errors.NotFound, HttpStatusCode.NotFound);
        var read = await _admin.GetAnswerAsync($"/admin/v1/products/{product.Pk}");
        Assert.Equal(0, read.Data.GetProperty("userDomains").GetArrayLength());
    }

    [Fact]
    public async Task Delete_is_refused_while_the_domain_has_users()
    {
        var tenant = await Tenant.CreateAsync(app);
        await OtherFeaturesRows.InsertUserAsync(app, tenant.DomainId);
        var answer = await _admin.SendAsync(HttpMethod.Delete, $"/admin/v1/user-domains/{tenant.DomainId}");
        answer.AssertError(Errors.UnsupportedOperation, HttpStatusCode.BadRequest, "users");
        (await _admin.GetAnswerAsync($"/admin/v1/user-domains/{tenant.DomainId}")).AssertOk();
    }
}
