using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Tencent;

namespace Bindery.Gateways;

/// <summary>
/// The Tencent-style gateway actions (rows of <see cref="TencentActions"/>' table): <c>AppBindSubDeviceInFamily</c>
/// {GatewayProductId, GatewayDeviceName, ProductId, DeviceName} binds the sub-device into the family of the gateway
/// (the action names none) and answers <c>AppDeviceInfo</c>; <c>AppGetGatewayBindDeviceList</c> {GatewayProductId,
/// GatewayDeviceName, ProductId?, Offset, Limit ≤ 50} lists the gateway's sub-devices with <c>BindStatus</c>.
/// </summary>
public sealed class GatewayTencentActions(SubDeviceBindings bindings, TimeProvider clock)
{
    /// <summary>The real action's largest Limit.</summary>
    public const int MaxLimit = 50;

    public sealed record AppDeviceInfo(string DeviceId, string ProductId, string DeviceName, string AliasName, string IconUrl,
        string FamilyId, string RoomId, long CreateTime, long UpdateTime);

    public sealed record BindData(AppDeviceInfo AppDeviceInfo);

    public sealed record ChildItem(string ProductId, string DeviceName, string DeviceId, string AliasName, string IconUrl, int BindStatus);

    public sealed record ChildListData(IReadOnlyList<ChildItem> DeviceList, int Total);

    public async Task<object> BindSubDeviceAsync(AppUser user, TencentParams p)
    {
        var gatewayPk = p.Required("GatewayProductId", BindingCore.MaxPkLength);
        var gatewayDk = TencentActions.DeviceKeyOf(p.Required("GatewayDeviceName"));
        var pk = p.Required("ProductId", BindingCore.MaxPkLength);
        var dk = TencentActions.DeviceKeyOf(p.Required("DeviceName"));
        var result = await bindings.BindSubDeviceAsync(user, gatewayPk, gatewayDk, pk, dk, fid: null, frid: null, deviceName: null, isCommonDevice: true,
            fidFromGateway: true, TencentActions.BindingErrors, domainHomeModeOnly: true);
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var family = await bindings.FamilyOfAsync(result.BindingId);
        return new BindData(new AppDeviceInfo(result.Pk + "/" + result.Dk, result.Pk, result.Dk, "", result.ProductLogo,
            family ?? "", TencentActions.DefaultRoomId, now, now));
    }

    public async Task<object> GatewayDeviceListAsync(AppUser user, TencentParams p)
    {
        var gatewayPk = p.Required("GatewayProductId", BindingCore.MaxPkLength);
        var gatewayDk = TencentActions.DeviceKeyOf(p.Required("GatewayDeviceName"));
        var limit = p.Number("Limit", 20, 0, int.MaxValue);
        var offset = p.Number("Offset", 0, 0, int.MaxValue);
        limit = limit == 0 ? MaxLimit : Math.Min(limit, MaxLimit);
        var (children, total) = await bindings.ListAsync(user, gatewayPk, gatewayDk, p.Text("ProductId", BindingCore.MaxPkLength), offset, limit);
        return new ChildListData(children.Select(c => new ChildItem(c.Pk, c.Dk, c.Pk + "/" + c.Dk, c.DeviceName ?? "", c.ProductLogo,
            c.Bound ? 1 : 0)).ToList(), total);
    }
}
