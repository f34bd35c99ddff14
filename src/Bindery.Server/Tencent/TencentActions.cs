using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Homes;
using Bindery.Infrastructure;
using Bindery.Registry;

namespace Bindery.Tencent;

/// <summary>
/// The actions of the Tencent-style API, each a thin adapter: it reads the action's parameters, authenticates the
/// AccessToken and calls <see cref="BindTokens"/>, <see cref="BindingCore"/> or <see cref="HomeService"/>, which
/// hold every rule. Ids on the wire: FamilyId = fid, RoomId = frid (<c>"0"</c> = no room, the family's default),
/// ProductId = pk, DeviceName = the device key (dk). Times are Unix seconds.
/// </summary>
public sealed class TencentActions(UserSessions sessions, BindTokens tokens, BindingCore core, HomeService homes)
{
    /// <summary>The RoomId that means "no room": the family's default room.</summary>
    public const string DefaultRoomId = "0";

    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    /// <summary>The Tencent codes for the binding core's dialect-specific situations.</summary>
    public static readonly BindingErrorMap BindingErrors = new()
    {
        ProductNotFound = Errors.ProductNotExist,
        MethodNotEnabled = Errors.AppNoPermissionToProduct,
        DeviceNotFound = Errors.DeviceNotExist,
        FamilyNotAccessible = Errors.FamilyNotExist,
        RoomNotFound = Errors.RoomNotExist,
        AlreadyInFamily = Errors.CannotBindSameFamily,
    };

    private static readonly Dictionary<string, Func<TencentActions, AppUser, TencentParams, Task<object>>> Actions = new(StringComparer.Ordinal)
    {
        ["AppCreateDeviceBindToken"] = (a, u, p) => a.CreateTokenAsync(u, p),
        ["AppGetDeviceBindTokenState"] = (a, u, p) => a.TokenStateAsync(u, p),
        ["AppTokenBindDeviceFamily"] = (a, u, p) => a.TokenBindAsync(u, p),
        ["AppCreateFamily"] = (a, u, p) => a.CreateFamilyAsync(u, p),
        ["AppGetFamilyList"] = (a, u, p) => a.FamilyListAsync(u, p),
        ["AppDescribeFamily"] = (a, u, p) => a.DescribeFamilyAsync(u, p),
        ["AppModifyFamily"] = (a, u, p) => a.ModifyFamilyAsync(u, p),
        ["AppDeleteFamily"] = (a, u, p) => a.DeleteFamilyAsync(u, p),
        ["AppCreateRoom"] = (a, u, p) => a.CreateRoomAsync(u, p),
        ["AppGetRoomList"] = (a, u, p) => a.RoomListAsync(u, p),
        ["AppModifyRoom"] = (a, u, p) => a.ModifyRoomAsync(u, p),
        ["AppDeleteRoom"] = (a, u, p) => a.DeleteRoomAsync(u, p),
        ["AppGetFamilyDeviceList"] = (a, u, p) => a.DeviceListAsync(u, p),
        ["AppModifyFamilyDeviceRoom"] = (a, u, p) => a.MoveDeviceAsync(u, p),
        ["AppDeleteDeviceInFamily"] = (a, u, p) => a.DeleteDeviceAsync(u, p),
    };

    /// <summary>Every action this API answers, for docs and tests.</summary>
    public static IReadOnlyCollection<string> Names => Actions.Keys;

    // ---- answers (field names are the wire names) ------------------------------------------------------------

    public sealed record NoData;

    public sealed record TokenCreated(string Token, long ExpireTime);

    public sealed record TokenStateData(int State, string? ProductId, string? DeviceName, long ExpireTime);

    public sealed record FamilyCreated(string FamilyId, string FamilyName);

    public sealed record FamilyItem(string FamilyId, string FamilyName, int Role, long CreateTime);

    public sealed record FamilyListData(IReadOnlyList<FamilyItem> FamilyList, int Total);

    public sealed record RoomCreated(string RoomId, string RoomName);

    public sealed record RoomItem(string RoomId, string RoomName, int DeviceNum, long CreateTime);

    public sealed record RoomListData(IReadOnlyList<RoomItem> RoomList, int Total);

    public sealed record DeviceItem(string DeviceId, string ProductId, string DeviceName, string AliasName, string FamilyId,
        string RoomId, string BindType, long CreateTime);

    public sealed record DeviceListData(IReadOnlyList<DeviceItem> DeviceList, int Total);

    // ---- dispatch --------------------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="action"/> for the user behind the request's AccessToken.</summary>
    public async Task<object> RunAsync(string action, TencentParams parameters)
    {
        if (!Actions.TryGetValue(action, out var run))
        {
            throw new BinderyException(Errors.InvalidParameter, $"Action {action} is not supported");
        }
        var user = await AuthenticateAsync(parameters.Text("AccessToken", 4096));
        return await run(this, user, parameters);
    }

    private async Task<AppUser> AuthenticateAsync(string? accessToken)
    {
        try
        {
            return await sessions.AuthenticateAsync(accessToken);
        }
        catch (BinderyException e) when (e.Error == Errors.TokenMissing || e.Error == Errors.TokenVerificationFailed)
        {
            throw new BinderyException(Errors.InvalidAccessToken, e.Error == Errors.TokenMissing ? "AccessToken is required" : null);
        }
    }

    // ---- tokens ----------------------------------------------------------------------------------------------

    private async Task<object> CreateTokenAsync(AppUser user, TencentParams p)
    {
        var created = await tokens.CreateAsync(user, p.Number("TokenLength", BindTokens.LongLength, 1, 1024));
        return new TokenCreated(created.Token, Seconds(created.ExpiresAt));
    }

    private async Task<object> TokenStateAsync(AppUser user, TencentParams p)
    {
        var state = await tokens.StateAsync(user, p.Required("Token"));
        return state.View switch
        {
            BindTokenView.Created => new TokenStateData(BindTokens.StateCreated, null, null, Seconds(state.ExpiresAt)),
            BindTokenView.Reported => new TokenStateData(BindTokens.StateReported, state.Pk, state.Dk, Seconds(state.ExpiresAt)),
            BindTokenView.Used => new TokenStateData(BindTokens.StateUsed, state.Pk, state.Dk, Seconds(state.ExpiresAt)),
            BindTokenView.Expired => throw new BinderyException(Errors.BindTokenExpired),
            BindTokenView.Contested => throw new BinderyException(Errors.BindTokenReadError,
                "more than one device reported the token, so it is void; create a new token"),
            BindTokenView.Unreadable => throw new BinderyException(Errors.BindTokenReadError),
            _ => throw new BinderyException(Errors.BindTokenNotExist),
        };
    }

    private async Task<object> TokenBindAsync(AppUser user, TencentParams p)
    {
        var token = p.Required("Token");
        var pk = p.Required("ProductId", BindingCore.MaxPkLength);
        var dk = DeviceKeyOf(p.Required("DeviceName"));
        var fid = p.Required("FamilyId");
        var frid = RoomOrDefault(p.Present("RoomId"));
        await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = pk,
            Device = new DeviceTarget.ByDk(dk),
            Method = BindingMethods.Token,
            Proof = BindTokens.Proof(token),
            Fid = fid,
            Frid = frid,
            Errors = BindingErrors,
        });
        return new NoData();
    }

    // ---- families --------------------------------------------------------------------------------------------

    private async Task<object> CreateFamilyAsync(AppUser user, TencentParams p)
    {
        var name = p.Required("Name", HomeService.NameMaxLength);
        var fid = await homes.CreateFamilyAsync(user, name);
        return new FamilyCreated(fid, name);
    }

    private async Task<object> FamilyListAsync(AppUser user, TencentParams p)
    {
        var (offset, limit) = Page(p);
        var families = await homes.ListFamiliesAsync(user);
        return new FamilyListData(
            families.Skip(offset).Take(limit).Select(f => new FamilyItem(f.Fid, f.Name, (int)f.Role, Seconds(f.CreatedAt))).ToList(),
            families.Count);
    }

    private async Task<object> DescribeFamilyAsync(AppUser user, TencentParams p)
    {
        var family = await homes.GetFamilyAsync(user, p.Required("FamilyId"));
        return new FamilyItem(family.Fid, family.Name, (int)family.Role, Seconds(family.CreatedAt));
    }

    /// <summary>Renames the family; without Name (an app changing only the address, which Bindery does not keep) it checks the right to modify.</summary>
    private async Task<object> ModifyFamilyAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var name = p.Text("Name", HomeService.NameMaxLength);
        if (string.IsNullOrWhiteSpace(name))
        {
            var family = await homes.GetFamilyAsync(user, fid);
            if (!family.Role.CanManage())
            {
                throw new BinderyException(Errors.NoPermissionToFamily);
            }
        }
        else
        {
            await homes.RenameFamilyAsync(user, fid, name);
        }
        return new NoData();
    }

    private async Task<object> DeleteFamilyAsync(AppUser user, TencentParams p)
    {
        await homes.DeleteFamilyAsync(user, p.Required("FamilyId"));
        return new NoData();
    }

    // ---- rooms -----------------------------------------------------------------------------------------------

    private async Task<object> CreateRoomAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var name = p.Required("Name", HomeService.NameMaxLength);
        var frid = await homes.CreateRoomAsync(user, fid, name);
        return new RoomCreated(frid, name);
    }

    private async Task<object> RoomListAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var (offset, limit) = Page(p);
        var rooms = await homes.ListRoomsAsync(user, fid);
        return new RoomListData(
            rooms.Skip(offset).Take(limit).Select(r => new RoomItem(r.Frid, r.Name, r.DeviceCount, Seconds(r.CreatedAt))).ToList(),
            rooms.Count);
    }

    private async Task<object> ModifyRoomAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var frid = p.Required("RoomId");
        await homes.RenameRoomAsync(user, frid, p.Required("Name", HomeService.NameMaxLength), fid);
        return new NoData();
    }

    private async Task<object> DeleteRoomAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        await homes.DeleteRoomAsync(user, p.Required("RoomId"), fid);
        return new NoData();
    }

    // ---- devices ---------------------------------------------------------------------------------------------

    /// <summary>RoomId absent or <c>""</c>: every device of the family; <c>"0"</c>: devices in no room; else one room.</summary>
    private async Task<object> DeviceListAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var roomId = p.Text("RoomId")?.Trim();
        var (offset, limit) = Page(p);
        var room = string.IsNullOrEmpty(roomId) ? RoomSelector.All
            : roomId == DefaultRoomId ? RoomSelector.WithoutRoom
            : RoomSelector.Room(roomId);
        var devices = await homes.ListDevicesAsync(user, fid, room);
        return new DeviceListData(
            devices.Skip(offset).Take(limit).Select(d => new DeviceItem(
                d.Pk + "/" + d.Dk, d.Pk, d.Dk, d.DeviceName, fid, d.Frid ?? DefaultRoomId, d.BindingType, Seconds(d.BoundAt))).ToList(),
            devices.Count);
    }

    private async Task<object> MoveDeviceAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var pk = p.Required("ProductId", BindingCore.MaxPkLength);
        var dk = DeviceKeyOf(p.Required("DeviceName"));
        var frid = RoomOrDefault(p.Present("RoomId"));
        await homes.MoveDeviceAsync(user, fid, pk, dk, frid);
        return new NoData();
    }

    /// <summary>Unbinds the caller's own binding of the device, when that binding is in the given family.</summary>
    private async Task<object> DeleteDeviceAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var pk = p.Required("ProductId", BindingCore.MaxPkLength);
        var dk = DeviceKeyOf(p.Required("DeviceName"));
        await homes.GetFamilyAsync(user, fid);
        await core.UnbindFromFamilyAsync(user, pk, dk, fid, Errors.DeviceNotExist);
        return new NoData();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /// <summary>
    /// A DeviceName is a device key, as sent: 5361 (InvalidParameterValue) when no device-key format accepts it; the
    /// binding core and the family service check it against the product's own format (docs/binding.md).
    /// </summary>
    private static string DeviceKeyOf(string deviceName) =>
        DeviceKeys.IsPlausible(deviceName)
            ? deviceName
            : throw new BinderyException(Errors.DkFormat, "DeviceName must be 1-48 characters of A-Z a-z 0-9 : _ - (or an IMEI or a MAC address)");

    private static string? RoomOrDefault(string roomId) =>
        roomId.Length == 0 || roomId == DefaultRoomId ? null : roomId;

    private static (int Offset, int Limit) Page(TencentParams p) =>
        (p.Number("Offset", 0, 0, int.MaxValue), p.Number("Limit", DefaultLimit, 1, MaxLimit));

    private static long Seconds(long unixMs) => unixMs / 1000;
}
