using System.Net.Http.Json;
using System.Text;
using Bindery.Infrastructure;
using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// The /v2 API's documented "query" parameters are also read from an <c>application/x-www-form-urlencoded</c> body
/// (what the real clients post) and from a flat JSON object; endpoints documented with a JSON body keep it
/// (docs/quectel-api.md, "Where parameters go").
/// </summary>
public sealed class ParameterSourcesTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    private const string BindSn = BindingApi.Base + "/bindDeviceSn";

    private async Task<(Tenant.Device Device, Tenant.User User)> SnDeviceAsync()
    {
        var product = await fx.Tenant.CreateProductAsync(1);
        return (await fx.Tenant.CreateDeviceAsync(product.Pk), await fx.Tenant.CreateUserAsync());
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    [Fact]
    public async Task A_form_body_carries_the_query_parameters_of_bindDeviceSn()
    {
        var (device, user) = await SnDeviceAsync();
        var answer = await (await user.Client.PostAsync(BindSn,
            Form(("pk", device.Pk), ("sn", device.Sn), ("deviceName", "Porch A+B & C")))).ReadEnvelopeAsync();
        Assert.Equal(Envelope.SuccessCode, answer.Code());
        Assert.Equal(device.Dk, answer.Data().GetProperty("dk").GetString());
        // The form encoding is undone exactly: '+' sent as %2B stays a plus, '&' inside a value stays in it.
        var list = (await BindingApi.ListAsync(user.Client)).Data().GetProperty("list");
        Assert.Equal("Porch A+B & C", list[0].GetProperty("deviceName").GetString());
    }

    [Fact]
    public async Task A_flat_json_object_carries_them_too()
    {
        var (device, user) = await SnDeviceAsync();
        var answer = await (await user.Client.PostAsJsonAsync(BindSn, new { pk = device.Pk, sn = device.Sn, capabilitiesBitmask = 1 })).ReadEnvelopeAsync();
        Assert.Equal(Envelope.SuccessCode, answer.Code());
        Assert.Equal(device.Dk, answer.Data().GetProperty("dk").GetString());
    }

    [Fact]
    public async Task The_same_value_in_query_and_form_is_accepted_but_two_different_values_are_refused()
    {
        var (device, user) = await SnDeviceAsync();
        var conflicting = await (await user.Client.PostAsync($"{BindSn}?pk={device.Pk}&sn=SOMEONE-ELSES-SN",
            Form(("pk", device.Pk), ("sn", device.Sn)))).ReadEnvelopeAsync();
        Assert.Equal(Errors.InvalidParameterValue.Code, conflicting.Code());
        Assert.Contains("sn", conflicting.GetProperty("extMsg").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("total").GetInt64());

        var agreeing = await (await user.Client.PostAsync($"{BindSn}?pk={device.Pk}",
            Form(("pk", device.Pk), ("sn", device.Sn)))).ReadEnvelopeAsync();
        Assert.Equal(Envelope.SuccessCode, agreeing.Code());
    }

    [Fact]
    public async Task Missing_parameters_in_a_form_get_the_endpoints_own_codes()
    {
        var (device, user) = await SnDeviceAsync();
        Assert.Equal(Errors.SnMissing.Code, (await (await user.Client.PostAsync(BindSn, Form(("pk", device.Pk)))).ReadEnvelopeAsync()).Code());
        Assert.Equal(Errors.ProductKeyMissing.Code, (await (await user.Client.PostAsync(BindSn, Form(("sn", device.Sn)))).ReadEnvelopeAsync()).Code());
    }

    [Fact]
    public async Task An_endpoint_documented_with_a_json_body_still_requires_json()
    {
        var (device, user) = await SnDeviceAsync();
        var answer = await (await user.Client.PostAsync(BindingApi.Base + "/v2/deviceBindingByWifi",
            Form(("productKey", device.Pk), ("deviceKey", device.Dk), ("bindingCode", "ABCDEF123456")))).ReadEnvelopeAsync();
        Assert.Equal(Errors.InvalidParameter.Code, answer.Code());
        Assert.Equal(RequestGate.JsonContentTypeRequired, answer.GetProperty("extMsg").GetString());
    }

    [Fact]
    public async Task A_parameter_body_is_read_only_for_an_authenticated_caller_and_only_up_to_its_bound()
    {
        var (device, user) = await SnDeviceAsync();
        using var anonymous = fx.App.CreateClient();
        var unauthenticated = await (await anonymous.PostAsync(BindSn, Form(("pk", device.Pk), ("sn", device.Sn)))).ReadEnvelopeAsync();
        Assert.Equal(Errors.TokenMissing.Code, unauthenticated.Code());

        var huge = new string('x', QueryParameters.MaxBodyBytes + 1);
        var tooLarge = await user.Client.PostAsync(BindSn, Form(("pk", device.Pk), ("sn", device.Sn), ("deviceName", huge)));
        var envelope = await tooLarge.ReadEnvelopeAsync();
        Assert.Equal(Errors.RequestTooLarge.Code, envelope.Code());
        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_json_body_that_is_not_an_object_of_parameters_is_refused_in_the_envelope()
    {
        var (device, user) = await SnDeviceAsync();
        foreach (var body in new[] { "[1,2]", "{\"pk\":", "\"pk\"" })
        {
            var answer = await (await user.Client.PostAsync($"{BindSn}?pk={device.Pk}&sn={device.Sn}",
                new StringContent(body, Encoding.UTF8, "application/json"))).ReadEnvelopeAsync();
            Assert.Equal(Errors.InvalidParameter.Code, answer.Code());
        }
        Assert.Equal(0, (await BindingApi.ListAsync(user.Client)).Data().GetProperty("total").GetInt64());
    }
}
