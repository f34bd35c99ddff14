using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Bindery.Tests.Tencent;

/// <summary>The <c>{"Response": …}</c> envelope: RequestId always echoed (or generated), bad bodies refused as InvalidParameter, never HTTP 500.</summary>
public sealed class TencentEnvelopeTests(TencentFixture fx) : IClassFixture<TencentFixture>
{
    private async Task<JsonElement> PostRawAsync(string body, string path = TencentApi.TokenApi)
    {
        var response = await fx.App.CreateClient().PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        return await TencentApi.ReadResponseAsync(response);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("[1,2,3]")]
    [InlineData("\"AppGetFamilyList\"")]
    [InlineData("{\"RequestId\":\"r-1\"}")]
    [InlineData("{\"Action\":42,\"RequestId\":\"r-1\"}")]
    [InlineData("{\"Action\":\"AppGetFamilyList\",\"RequestId\":{\"nested\":true}}")]
    public async Task Malformed_bodies_get_an_InvalidParameter_envelope(string body)
    {
        var response = await PostRawAsync(body);
        Assert.Equal("InvalidParameter", TencentApi.ErrorCode(response));
        Assert.False(string.IsNullOrEmpty(response.GetProperty("Error").GetProperty("Message").GetString()));
    }

    [Fact]
    public async Task Nesting_deeper_than_the_limit_is_refused_not_crashed()
    {
        var deep = "{\"Action\":\"AppGetFamilyList\",\"X\":" + new string('[', 200) + new string(']', 200) + "}";
        Assert.Equal("InvalidParameter", TencentApi.ErrorCode(await PostRawAsync(deep)));
    }

    [Fact]
    public async Task The_RequestId_is_echoed_on_errors_and_generated_when_missing()
    {
        var response = await PostRawAsync("{\"Action\":\"AppNoSuchThing\",\"RequestId\":\"req-123\"}");
        Assert.Equal("InvalidParameter", TencentApi.ErrorCode(response));
        Assert.Equal("req-123", response.GetProperty("RequestId").GetString());
        Assert.Contains("AppNoSuchThing", response.GetProperty("Error").GetProperty("Message").GetString());

        response = await PostRawAsync("{\"Action\":\"AppGetFamilyList\",\"AccessToken\":\"nope\"}");
        Assert.Equal("InvalidParameterValue.InvalidAccessToken", TencentApi.ErrorCode(response));
        Assert.True(Guid.TryParse(response.GetProperty("RequestId").GetString(), out _));

        response = await PostRawAsync("{\"Action\":\"AppGetFamilyList\",\"AccessToken\":\"nope\",\"RequestId\":\"f92406b3-5a9a-4fe8-bc43-45e3d794bb68\"}");
        Assert.Equal("f92406b3-5a9a-4fe8-bc43-45e3d794bb68", response.GetProperty("RequestId").GetString());
    }

    [Fact]
    public async Task Success_carries_the_RequestId_in_Data_as_in_the_seed_and_beside_it()
    {
        var user = await fx.Tenant.CreateUserAsync();
        var body = JsonSerializer.Serialize(new { Action = "AppGetFamilyList", AccessToken = user.Token, RequestId = "abc" });
        var response = await PostRawAsync(body);
        Assert.Equal("abc", response.GetProperty("RequestId").GetString());
        Assert.Equal("abc", response.GetProperty("Data").GetProperty("RequestId").GetString());
        Assert.Equal(0, response.GetProperty("Data").GetProperty("Total").GetInt32());
    }

    [Fact]
    public async Task The_app_api_path_answers_the_same_actions()
    {
        var user = await fx.Tenant.CreateUserAsync();
        var api = new TencentApi(fx.App.CreateClient(), user.Token);
        var created = await api.CallAsync("AppCreateFamily", new() { ["Name"] = "Cabin" }, TencentApi.AppApi);
        var familyId = created.GetProperty("Data").GetProperty("FamilyId").GetString();
        var listed = await api.CallAsync("AppGetFamilyList", path: TencentApi.AppApi);
        Assert.Equal(familyId, Assert.Single(listed.GetProperty("Data").GetProperty("FamilyList").EnumerateArray()).GetProperty("FamilyId").GetString());
    }

    [Fact]
    public async Task Unknown_paths_and_methods_under_the_prefix_answer_in_this_envelope()
    {
        var client = fx.App.CreateClient();
        var response = await client.GetAsync(TencentApi.TokenApi);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ResourceNotFound", body.GetProperty("Response").GetProperty("Error").GetProperty("Code").GetString());

        response = await client.PostAsync("/api/exploreropen/nothing", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(body.GetProperty("Response").GetProperty("RequestId").GetString()));
    }

    [Fact]
    public async Task Wrong_types_and_ranges_name_the_field()
    {
        var (_, api, familyId) = await fx.UserWithFamilyAsync();
        var response = await api.CallAsync("AppGetRoomList", new() { ["FamilyId"] = familyId, ["Limit"] = -1 });
        Assert.Equal("InvalidParameterValue", TencentApi.ErrorCode(response));
        Assert.Contains("Limit", response.GetProperty("Error").GetProperty("Message").GetString());

        response = await api.CallAsync("AppGetRoomList", new() { ["FamilyId"] = familyId, ["Offset"] = "0" });
        Assert.Equal("InvalidParameter", TencentApi.ErrorCode(response));
        Assert.Contains("Offset", response.GetProperty("Error").GetProperty("Message").GetString());

        response = await api.CallAsync("AppCreateFamily", new() { ["Name"] = new string('n', 65) });
        Assert.Equal("InvalidParameterValue", TencentApi.ErrorCode(response));
        Assert.Contains("Name", response.GetProperty("Error").GetProperty("Message").GetString());
    }
}
