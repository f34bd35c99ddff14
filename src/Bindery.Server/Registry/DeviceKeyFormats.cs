using Bindery.Infrastructure;
using Bindery.Storage;

namespace Bindery.Registry;

/// <summary>
/// Turns a dk as sent into the dk as stored, by the format of its product (<see cref="DeviceKeyFormat"/>): normalised
/// for <c>imei-or-mac</c>, exact otherwise. Callers first refuse a dk that no format accepts
/// (<see cref="DeviceKeys.IsPlausible"/>), then resolve it where the product is read anyway.
/// </summary>
public static class DeviceKeyFormats
{
    /// <summary>
    /// For a lookup that does not read the product first: <c>dk = (this)</c> picks <c>@DkNormalized</c> or
    /// <c>@DkExact</c> by the product's format within the same statement (parameters from <see cref="LookupKeys"/>).
    /// </summary>
    public const string StoredDkSql =
        "(SELECT CASE WHEN p.device_key_format = 'imei-or-mac' THEN @DkNormalized ELSE @DkExact END FROM products p WHERE p.pk = @Pk)";

    /// <summary>The two spellings <see cref="StoredDkSql"/> chooses from (an empty string matches no device).</summary>
    public static (string DkNormalized, string DkExact) LookupKeys(string dk) => (DeviceKeys.Normalize(dk) ?? "", dk);

    /// <summary>The product's format; the default when the product does not exist (its devices are then not found anyway).</summary>
    public static async Task<DeviceKeyFormat> ReadAsync(DbTx tx, string pk)
    {
        var name = await tx.QuerySingleOrDefaultAsync<string>("SELECT device_key_format FROM products WHERE pk = @Pk", new { Pk = pk });
        return DeviceKeyFormatNames.Parse(name) ?? DeviceKeyFormat.ImeiOrMac;
    }

    /// <summary>The stored spelling of <paramref name="dk"/> for product <paramref name="pk"/>; 5361 when it is not a key of the product's format.</summary>
    public static async Task<string> ResolveAsync(DbTx tx, string pk, string dk) =>
        Resolve(await ReadAsync(tx, pk), dk);

    /// <summary>The stored spelling of <paramref name="dk"/> under <paramref name="format"/>; 5361 when it is not a key of that format.</summary>
    public static string Resolve(DeviceKeyFormat format, string dk) =>
        DeviceKeys.Normalize(dk, format) ?? throw new BinderyException(Errors.DkFormat, DeviceKeys.Describe(format));
}
