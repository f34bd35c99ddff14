using System.Xml.Linq;
using Bindery.Storage;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Bindery.AdminConsole;

/// <summary>
/// Data Protection's key ring in the database (<c>data_protection_keys</c>): the keys that sign the console's
/// antiforgery tokens are the same on every node, so a form one node rendered is accepted by another, and survive a
/// restart. Like device and webhook secrets, the keys are stored as issued (readable by whoever reads the database).
/// Data Protection calls this rarely (at first use, when it makes a new key, and when a token names a key it does
/// not hold yet), and synchronously.
/// </summary>
public sealed class ConsoleKeyRing(IDatabase db, TimeProvider clock) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() =>
        db.ReadAsync(c => c.QueryAsync<string>("SELECT xml FROM data_protection_keys ORDER BY created_at, name"))
            .GetAwaiter().GetResult()
            .Select(XElement.Parse)
            .ToList();

    public void StoreElement(XElement element, string friendlyName) =>
        db.ExecuteWriteAsync(
                "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@Name, @Xml, @Now) ON CONFLICT (name) DO NOTHING",
                new { Name = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting), Now = clock.GetUtcNow().ToUnixTimeMilliseconds() })
            .GetAwaiter().GetResult();
}
