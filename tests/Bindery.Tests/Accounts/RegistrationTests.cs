using System.Net.Http.Json;
using Bindery.Tests.Support;
using Dapper;

namespace Bindery.Tests.Accounts;

public sealed class RegistrationTests(SharedApp app) : IClassFixture<SharedApp>
{
    private const string Register = "/v2/enduser/enduserapi/register";
    private readonly HttpClient _client = app.CreateClient();

    [Fact]
    public async Task Register_returns_a_uid_and_the_user_can_log_in()
    {
        var domain = await Seed.UserDomainAsync(app);
        var user = await Seed.UserAsync(app, domain, "alice@example.com");
        Assert.Matches("^[0-9a-f]{24}$", user.Uid);
        var info = await Seed.GetOkAsync(user.Client, "/v2/enduser/enduserapi/userInfo");
        Assert.Equal(user.Uid, info.GetProperty("uid").GetString());
        Assert.Equal("alice@example.com", info.GetProperty("username").GetString());
        Assert.Equal(domain, info.GetProperty("userDomain").GetString());
    }

    [Fact]
    public async Task Unknown_user_domain_is_5093()
    {
        var envelope = await Seed.PostAsync(_client, Register, new { userDomain = "no-such-domain", username = "bob", password = Seed.Password });
        Assert.Equal(5093, envelope.Code());
        Assert.Equal("Abnormal user domain", envelope.Msg());
    }

    [Fact]
    public async Task Duplicate_username_is_9005_even_in_another_letter_case()
    {
        var domain = await Seed.UserDomainAsync(app);
        Assert.Equal(200, (await Seed.PostAsync(_client, Register, new { userDomain = domain, username = "Carol", password = Seed.Password })).Code());
        var again = await _client.PostAsJsonAsync(Register, new { userDomain = domain, username = "carol", password = "another password" });
        Assert.Equal(System.Net.HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(9005, (await again.ReadEnvelopeAsync()).Code());
    }

    [Fact]
    public async Task The_same_username_may_exist_in_two_user_domains()
    {
        var first = await Seed.UserDomainAsync(app);
        var second = await Seed.UserDomainAsync(app);
        var a = await Seed.UserAsync(app, first, "dave");
        var b = await Seed.UserAsync(app, second, "dave");
        Assert.NotEqual(a.Uid, b.Uid);
    }

    [Theory]
    [InlineData("""{"username":"erin","password":"long enough pw"}""", 9000, "userDomain is required")]
    [InlineData("""{"userDomain":"DOMAIN","password":"long enough pw"}""", 9000, "username is required")]
    [InlineData("""{"userDomain":"DOMAIN","username":"erin"}""", 9000, "password is required")]
    [InlineData("""{"userDomain":"DOMAIN","username":"erin","password":"short"}""", 9001, "password must be at least 8 characters")]
    [InlineData("""{"userDomain":"DOMAIN","username":"er","password":"long enough pw"}""", 9001, "username must be")]
    [InlineData("""{"userDomain":"DOMAIN","username":"erin smith","password":"long enough pw"}""", 9001, "username must be")]
    [InlineData("""{"userDomain":"DOMAIN","username":"érin","password":"long enough pw"}""", 9001, "username must be")]
    [InlineData("""{"userDomain":"DOMAIN","username":12345,"password":"long enough pw"}""", 9000, "$.username")]
    [InlineData("""{"userDomain":"DOMAIN","username":"erin","password":["x"]}""", 9000, "$.password")]
    [InlineData("{\"userDomain\":\"DOMAIN\",\"username\":", 9000, "")]
    public async Task Bad_input_is_refused_with_the_field_named(string json, int code, string extMsgPart)
    {
        var domain = await Seed.UserDomainAsync(app);
        var envelope = await Seed.PostRawAsync(_client, Register, json.Replace("DOMAIN", domain, StringComparison.Ordinal));
        Assert.Equal(code, envelope.Code());
        Assert.Contains(extMsgPart, envelope.ExtMsg(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overlong_fields_are_refused()
    {
        var domain = await Seed.UserDomainAsync(app);
        var longName = await Seed.PostAsync(_client, Register, new { userDomain = domain, username = new string('a', 65), password = Seed.Password });
        Assert.Equal(9001, longName.Code());
        var longPassword = await Seed.PostAsync(_client, Register, new { userDomain = domain, username = "frank", password = new string('p', 129) });
        Assert.Equal(9001, longPassword.Code());
    }

    [Fact]
    public async Task An_empty_body_is_refused_not_a_500()
    {
        var response = await _client.PostAsync(Register, new StringContent("", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(9000, (await response.ReadEnvelopeAsync()).Code());
    }

    [Fact]
    public async Task The_password_is_stored_hashed_and_never_returned()
    {
        var domain = await Seed.UserDomainAsync(app);
        var register = await _client.PostAsJsonAsync(Register, new { userDomain = domain, username = "heidi", password = Seed.Password });
        var login = await _client.PostAsJsonAsync("/v2/enduser/enduserapi/login", new { userDomain = domain, username = "heidi", password = Seed.Password });
        Assert.DoesNotContain(Seed.Password, await register.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(Seed.Password, await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("password", await login.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        var stored = await Seed.Db(app).ReadAsync(c => c.QuerySingleAsync<string>(
            "SELECT password_hash FROM users WHERE domain_id = @Domain AND username = 'heidi'", new { Domain = domain }));
        Assert.DoesNotContain(Seed.Password, stored, StringComparison.Ordinal);
        Assert.StartsWith("AQAAAA", stored, StringComparison.Ordinal); // ASP.NET Core Identity V3 format
    }
}

public sealed class PasswordHashingTests
{
    [Fact]
    public void The_default_is_identity_v3_with_100000_iterations_and_a_fresh_salt_each_time()
    {
        var options = new Bindery.Accounts.AccountOptions();
        Assert.Equal(100_000, options.PasswordHashIterations);
        var passwords = new Bindery.Accounts.Passwords(Microsoft.Extensions.Options.Options.Create(options));
        var first = passwords.Hash("correct horse battery staple");
        var second = passwords.Hash("correct horse battery staple");
        Assert.NotEqual(first, second);
        Assert.Equal(Bindery.Accounts.Passwords.Outcome.Correct, passwords.Verify(first, "correct horse battery staple"));
        Assert.Equal(Bindery.Accounts.Passwords.Outcome.Wrong, passwords.Verify(first, "correct horse battery stapler"));
        Assert.Equal(Bindery.Accounts.Passwords.Outcome.Wrong, passwords.Verify(null, "correct horse battery staple"));
    }

    [Fact]
    public void A_hash_made_with_fewer_iterations_asks_to_be_rehashed()
    {
        var weak = new Bindery.Accounts.Passwords(Microsoft.Extensions.Options.Options.Create(new Bindery.Accounts.AccountOptions { PasswordHashIterations = 1_000 }));
        var strong = new Bindery.Accounts.Passwords(Microsoft.Extensions.Options.Options.Create(new Bindery.Accounts.AccountOptions()));
        Assert.Equal(Bindery.Accounts.Passwords.Outcome.CorrectButRehashNeeded, strong.Verify(weak.Hash("a long password"), "a long password"));
    }
}
