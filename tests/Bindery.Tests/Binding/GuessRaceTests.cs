using Bindery.Tests.Support;

namespace Bindery.Tests.Binding;

/// <summary>
/// The per-user guess limit holds when one user's guesses arrive at once: on PostgreSQL a bind locks the caller's row
/// before it reads the caller's failures, so parallel binds on different devices count against one limit.
/// </summary>
public sealed class GuessRaceTests(BindingFixture fx) : IClassFixture<BindingFixture>
{
    [Fact]
    public async Task One_user_guessing_codes_on_thirty_devices_at_once_gets_no_more_guesses_than_the_limit()
    {
        // Each wrong guess is on a different device, so only the per-user limit (10 in the window) stands in the way;
        // the thirty binds decide at once, and on PostgreSQL each holds only its own device's row lock.
        const int devices = 30, perUserLimit = 10;
        var product = await fx.Tenant.CreateProductAsync(1, methods: ["WIFI"]);
        var mallory = await fx.Tenant.CreateUserAsync();
        var targets = new List<Tenant.Device>();
        for (var i = 0; i < devices; i++)
        {
            var device = await fx.Tenant.CreateDeviceAsync(product.Pk);
            await fx.DeviceClient(device).ReportNewCodeAsync();
            targets.Add(device);
        }

        using var start = new SemaphoreSlim(0);
        var guesses = targets.Select(async (device, i) =>
        {
            await start.WaitAsync();
            return (await BindingApi.BindWifiAsync(mallory.Client, BindingApi.WifiBody(device, $"Guess{i:D4}"))).Code();
        }).ToList();
        start.Release(devices);
        var codes = await Task.WhenAll(guesses);

        const int wrongCode = 5462, tooManyAttempts = 9007;
        Assert.Equal(perUserLimit, codes.Count(c => c == wrongCode));
        Assert.Equal(devices - perUserLimit, codes.Count(c => c == tooManyAttempts));
    }
}
