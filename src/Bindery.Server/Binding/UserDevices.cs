using Bindery.Accounts;
using Bindery.Infrastructure;
using Bindery.Registry;
using Bindery.Storage;
using Dapper;

namespace Bindery.Binding;

/// <summary>Read side around binding: a user's devices and a product's binding rules.</summary>
public sealed class UserDevices(IDatabase db)
{
    public const int MaxPageSize = 100;

    public sealed class DeviceItem
    {
        public string Pk { get; set; } = "";

        public string Dk { get; set; } = "";

        public string DeviceName { get; set; } = "";

        public string BindingType { get; set; } = "";

        public string? Fid { get; set; }

        public string? Frid { get; set; }

        public long BoundAt { get; set; }

        public string ProductName { get; set; } = "";

        public string ProductLogo { get; set; } = "";

        public int? CapabilitiesBitmask { get; set; }

        public bool Verified { get; set; }
    }

    public sealed record DevicePage(IReadOnlyList<DeviceItem> List, long Total, int Page, int PageSize);

    public sealed record ProductBindingInfo(string Pk, int BindingMode, IReadOnlyList<string> Methods, int UserCap, string ProductName, string ProductLogo);

    /// <summary>The devices the user holds by binding or by an accepted share, newest first.</summary>
    public async Task<DevicePage> ListAsync(AppUser user, int? page, int? pageSize)
    {
        var p = page ?? 1;
        var size = pageSize ?? 10;
        if (p < 1 || size < 1 || size > MaxPageSize)
        {
            throw new BinderyException(Errors.InvalidParameterValue, $"page starts at 1; pageSize is 1-{MaxPageSize}");
        }
        return await db.ReadAsync(async c =>
        {
            var items = (await c.QueryAsync<DeviceItem>(
                """
                SELECT * FROM (
                    SELECT b.pk AS pk, b.dk AS dk, b.device_name AS device_name, b.method AS binding_type, b.fid AS fid,
                           b.frid AS frid, b.bound_at AS bound_at, p.name AS product_name, p.logo_url AS product_logo,
                           b.capabilities AS capabilities_bitmask, b.verified AS verified
                    FROM bindings b JOIN products p ON p.pk = b.pk
                    WHERE b.user_id = @UserId
                    UNION ALL
                    SELECT s.pk, s.dk, COALESCE(ob.device_name, p.name), 'SHARE', NULL, NULL, s.accepted_at,
                           p.name, p.logo_url, ob.capabilities, COALESCE(ob.verified, FALSE)
                    FROM device_shares s JOIN products p ON p.pk = s.pk
                    LEFT JOIN bindings ob ON ob.pk = s.pk AND ob.dk = s.dk AND ob.user_id = s.owner_user_id
                    WHERE s.user_id = @UserId AND s.accepted_at IS NOT NULL
                ) devices
                ORDER BY devices.bound_at DESC, devices.pk, devices.dk
                LIMIT @Limit OFFSET @Offset
                """,
                new { UserId = user.Id, Limit = size, Offset = (long)(p - 1) * size })).ToList();
            var total = await c.ExecuteScalarAsync<long>(
                """
                SELECT (SELECT COUNT(*) FROM bindings WHERE user_id = @UserId)
                     + (SELECT COUNT(*) FROM device_shares WHERE user_id = @UserId AND accepted_at IS NOT NULL)
                """,
                new { UserId = user.Id });
            return new DevicePage(items, total, p, size);
        });
    }

    /// <summary>What an app needs to know before binding a product's device: its mode and enabled methods.</summary>
    public async Task<ProductBindingInfo> ProductInfoAsync(AppUser user, string? pk)
    {
        var validPk = Validate.Required(pk, Errors.ProductKeyMissing, BindingCore.MaxPkLength, "pk");
        var product = await db.ReadAsync(c => BindingCore.ReadProductAsync(c, validPk, user.DomainId))
            ?? throw new BinderyException(Errors.ProductOrDeviceNotFound);
        if (!product.Authorized)
        {
            throw new BinderyException(Errors.DomainNotAuthorizedForProduct);
        }
        return new ProductBindingInfo(product.Pk, product.BindingMode, BindingMethodNames.ToNames((BindingMethods)product.Methods), product.UserCap, product.Name, product.LogoUrl);
    }
}
