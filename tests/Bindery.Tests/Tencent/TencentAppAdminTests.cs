using System.Net;
using System.Net.Http.Json;
using Bindery.Infrastructure;
using Bindery.Tests.Binding;
using Bindery.Tests.Support;

namespace Bindery.Tests.Tencent;

/// <summary>
/// <c>PATCH /admin/v1/tencent-apps/{appKey}</c> (docs/admin-api.md, "Tencent-style apps"): an app's name changes;
/// its AppKey, secret and user domain do not, and the answer never carries the secret.
/// </summary>
public sealed class TencentAppAdminTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    [Fact]
    public async Task An_app_is_renamed_without_its_secret_in_the_answer_and_a_blank_name_or_unknown_app_is_refused()
    {
        var app = await SignedAppRequests.CreateAppAsync(fx.App, fx.Tenant);
        using var admin = fx.App.CreateAdminClient();

        using var renamed = await admin.PatchAsJsonAsync($"/admin/v1/tencent-apps/{app.AppKey}", new { name = "Smart Home Pro" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var data = (await renamed.ReadEnvelopeAsync()).Data();
        Assert.Equal("Smart Home Pro", data.GetProperty("name").GetString());
        Assert.Equal(fx.Tenant.DomainId, data.GetProperty("userDomain").GetString());
        Assert.DoesNotContain(app.AppSecret, data.ToString(), StringComparison.Ordinal);
        var listed = (await (await admin.GetAsync("/admin/v1/tencent-apps")).ReadEnvelopeAsync()).Data().EnumerateArray()
            .Single(a => a.GetProperty("appKey").GetString() == app.AppKey);
        Assert.Equal("Smart Home Pro", listed.GetProperty("name").GetString());

        using var blank = await admin.PatchAsJsonAsync($"/admin/v1/tencent-apps/{app.AppKey}", new { name = "" });
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.Equal(Errors.InvalidParameter.Code, (await blank.ReadEnvelopeAsync()).Code());
        using var tooLong = await admin.PatchAsJsonAsync($"/admin/v1/tencent-apps/{app.AppKey}", new { name = new string('n', 129) });
        Assert.Equal(Errors.InvalidParameterValue.Code, (await tooLong.ReadEnvelopeAsync()).Code());
        using var unknown = await admin.PatchAsJsonAsync("/admin/v1/tencent-apps/ak-no-such-app", new { name = "x" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(Errors.NotFound.Code, (await unknown.ReadEnvelopeAsync()).Code());
    }
}
