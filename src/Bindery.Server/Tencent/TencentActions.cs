using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Devices;
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
public sealed class TencentActions(UserSessions sessions, AccountService accounts, BindTokens tokens, BindingCore core, HomeService homes, TencentEnvelopeChoice envelopes, DeviceActivity activity,
    TencentShareActions shares, TencentFamilyActions family, TencentSigBindActions sigBind,
    Gateways.GatewayTencentActions gateways)
{
    /// <summary>The signature and QR binding actions (<see cref="TencentSigBindActions"/>).</summary>
    private TencentSigBindActions SigBind => sigBind;

    /// <summary>The device-sharing actions (<see cref="TencentShareActions"/>), dispatched from the same table.</summary>
    private TencentShareActions Shares { get; } = shares;

    /// <summary>The RoomId that means "no room": the family's default room.</summary>
    public const string DefaultRoomId = "0";

    public const int DefaultLimit = 20;

    /// <summary>The gateway sub-device actions' runners (<see cref="Gateways.GatewayTencentActions"/>).</summary>
    private Gateways.GatewayTencentActions GatewayActions => gateways;

    /// <summary>The family membership actions' runners (<see cref="TencentFamilyActions"/>).</summary>
    private TencentFamilyActions Family => family;
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

    private delegate Task<object> Run(TencentActions actions, AppUser user, TencentParams parameters);

    /// <summary>One served action: where the client envelope puts its fields, and what runs it.</summary>
    private sealed record Entry(TencentShape Shape, Run Run);

    /// <summary>
    /// THE table of served actions: every action's runner and its client-envelope shape (real-clients.md T3), so
    /// neither envelope can serve an action the other does not place. Flat: the fields directly in <c>data</c>
    /// (Android/iOS read <c>data.Token</c>, <c>data.State</c>, <c>data.FamilyList</c>, <c>data.RoomList</c>,
    /// <c>data.DeviceList</c>); Wrapped: in <c>data.Data</c> (<c>data.Data.FamilyId</c>, <c>data.Data.RoomId</c>,
    /// AppDescribeFamily's <c>data.Data</c>). Actions that answer no fields are Flat (the clients read only <c>code</c>).
    /// </summary>
    private static readonly Dictionary<string, Entry> Actions = new(StringComparer.Ordinal)
    {
        ["AppCreateDeviceBindToken"] = new(TencentShape.Flat, (a, u, p) => a.CreateTokenAsync(u, p)),
        ["AppGetDeviceBindTokenState"] = new(TencentShape.Flat, (a, u, p) => a.TokenStateAsync(u, p)),
        ["AppTokenBindDeviceFamily"] = new(TencentShape.Flat, (a, u, p) => a.TokenBindAsync(u, p)),
        // Signature and QR binding (TencentSigBindActions): data.AppDeviceInfo.
        ["AppSigBindDeviceInFamily"] = new(TencentShape.Flat, (a, u, p) => a.SigBind.SigBindAsync(u, p)),
        ["AppSecureAddDeviceInFamily"] = new(TencentShape.Flat, (a, u, p) => a.SigBind.SecureAddAsync(u, p)),
        ["AppCreateFamily"] = new(TencentShape.Wrapped, (a, u, p) => a.CreateFamilyAsync(u, p)),
        ["AppGetFamilyList"] = new(TencentShape.Flat, (a, u, p) => a.FamilyListAsync(u, p)),
        ["AppDescribeFamily"] = new(TencentShape.Wrapped, (a, u, p) => a.DescribeFamilyAsync(u, p)),
        ["AppModifyFamily"] = new(TencentShape.Flat, (a, u, p) => a.ModifyFamilyAsync(u, p)),
        ["AppDeleteFamily"] = new(TencentShape.Flat, (a, u, p) => a.DeleteFamilyAsync(u, p)),
        ["AppCreateRoom"] = new(TencentShape.Wrapped, (a, u, p) => a.CreateRoomAsync(u, p)),
        ["AppGetRoomList"] = new(TencentShape.Flat, (a, u, p) => a.RoomListAsync(u, p)),
        ["AppModifyRoom"] = new(TencentShape.Flat, (a, u, p) => a.ModifyRoomAsync(u, p)),
        ["AppDeleteRoom"] = new(TencentShape.Flat, (a, u, p) => a.DeleteRoomAsync(u, p)),
        ["AppGetFamilyDeviceList"] = new(TencentShape.Flat, (a, u, p) => a.DeviceListAsync(u, p)),
        ["AppModifyFamilyDeviceRoom"] = new(TencentShape.Flat, (a, u, p) => a.MoveDeviceAsync(u, p)),
        ["AppDeleteDeviceInFamily"] = new(TencentShape.Flat, (a, u, p) => a.DeleteDeviceAsync(u, p)),
        // Family members (TencentFamilyActions): the clients read data.MemberList / data.Total and code only.
        ["AppSendShareFamilyInvite"] = new(TencentShape.Flat, (a, u, p) => a.Family.SendInviteAsync(u, p)),
        ["AppCreateShareFamilyToken"] = new(TencentShape.Flat, (a, u, p) => a.Family.CreateShareTokenAsync(u, p)),
        ["AppJoinFamily"] = new(TencentShape.Flat, (a, u, p) => a.Family.JoinAsync(u, p)),
        ["AppExitFamily"] = new(TencentShape.Flat, (a, u, p) => a.Family.ExitAsync(u, p)),
        ["AppDeleteFamilyMember"] = new(TencentShape.Flat, (a, u, p) => a.Family.DeleteMemberAsync(u, p)),
        ["AppGetFamilyMemberList"] = new(TencentShape.Flat, (a, u, p) => a.Family.MemberListAsync(u, p)),
        ["AppModifyFamilyMemberRole"] = new(TencentShape.Flat, (a, u, p) => a.Family.ModifyRoleAsync(u, p)),
        ["AppTransferFamilyOwner"] = new(TencentShape.Flat, (a, u, p) => a.Family.TransferOwnerAsync(u, p)),
        // The signed-in user (the mini-program SDK's login reads data.Data.UserID and NickName).
        ["AppGetUser"] = new(TencentShape.Wrapped, (a, u, _) => a.UserAsync(u)),
        ["AppUpdateUser"] = new(TencentShape.Flat, (a, u, p) => a.UpdateUserAsync(u, p)),
        ["AppLogoutUser"] = new(TencentShape.Flat, (a, u, p) => a.LogoutAsync(p)),
        ["AppUserResetPassword"] = new(TencentShape.Flat, (a, u, p) => a.ResetPasswordAsync(u, p)),
        // Device sharing (TencentShareActions): every answer flat (data.ShareDeviceToken, data.ShareDeviceTokenInfo,
        // data.ShareDevices/Total, data.Users/Total, data.Status).
        ["AppCreateShareDeviceToken"] = new(TencentShape.Flat, (a, u, p) => a.Shares.CreateTokenAsync(u, p)),
        ["AppDescribeShareDeviceToken"] = new(TencentShape.Flat, (a, u, p) => a.Shares.DescribeTokenAsync(u, p)),
        ["AppBindUserShareDevice"] = new(TencentShape.Flat, (a, u, p) => a.Shares.BindAsync(u, p)),
        ["AppListUserShareDevices"] = new(TencentShape.Flat, (a, u, p) => a.Shares.SharedWithMeAsync(u, p)),
        ["AppRemoveUserShareDevice"] = new(TencentShape.Flat, (a, u, p) => a.Shares.LeaveAsync(u, p)),
        ["AppListShareDeviceUsers"] = new(TencentShape.Flat, (a, u, p) => a.Shares.ShareUsersAsync(u, p)),
        ["AppRemoveShareDeviceUser"] = new(TencentShape.Flat, (a, u, p) => a.Shares.RemoveUserAsync(u, p)),
        ["AppSendShareDeviceInvite"] = new(TencentShape.Flat, (a, u, p) => a.Shares.InviteAsync(u, p)),
        // Gateway sub-devices (Gateways/GatewayTencentActions): data.AppDeviceInfo; data.DeviceList/Total.
        ["AppBindSubDeviceInFamily"] = new(TencentShape.Flat, (a, u, p) => a.GatewayActions.BindSubDeviceAsync(u, p)),
        ["AppGetGatewayBindDeviceList"] = new(TencentShape.Flat, (a, u, p) => a.GatewayActions.GatewayDeviceListAsync(u, p)),
    };

    /// <summary>Every action this API answers, for docs and tests.</summary>
    public static IReadOnlyCollection<string> Names => Actions.Keys;

    /// <summary>Every action's client-envelope shape (the same table <see cref="RunAsync"/> dispatches from).</summary>
    public static IReadOnlyDictionary<string, TencentShape> Shapes { get; } =
        Actions.ToDictionary(e => e.Key, e => e.Value.Shape, StringComparer.Ordinal);

    // ---- answers (field names are the wire names) ------------------------------------------------------------

    public sealed record NoData;

    public sealed record TokenCreated(string Token, long ExpireTime);

    /// <summary>
    /// The token's state; <c>DeviceStatus</c> (Bindery's addition, ignored by the official clients) only when the app
    /// names the device it is provisioning (<c>ProductId</c> + <c>DeviceName</c>, from the device's softAP reply).
    /// </summary>
    public sealed record TokenStateData(int State, string? ProductId, string? DeviceName, long ExpireTime, DeviceActivity.Status? DeviceStatus = null);

    public sealed record FamilyCreated(string FamilyId, string FamilyName);

    public sealed record FamilyItem(string FamilyId, string FamilyName, int Role, long CreateTime);

    public sealed record FamilyListData(IReadOnlyList<FamilyItem> FamilyList, int Total);

    public sealed record RoomCreated(string RoomId, string RoomName);

    public sealed record RoomItem(string RoomId, string RoomName, int DeviceNum, long CreateTime);

    /// <summary>
    /// <c>RoomList</c> is what iOS reads (<c>responseObject[@"RoomList"]</c>); Android's bean spells it
    /// <c>Roomlist</c> (fastjson matches names without regard to case, but a stricter parser would not), so the
    /// list is answered under both names.
    /// </summary>
    public sealed record RoomListData(IReadOnlyList<RoomItem> RoomList, int Total)
    {
        [System.Text.Json.Serialization.JsonPropertyName("Roomlist")]
        public IReadOnlyList<RoomItem> AndroidRoomList => RoomList;
    }

    public sealed record DeviceItem(string DeviceId, string ProductId, string DeviceName, string AliasName, string FamilyId,
        string RoomId, string BindType, long CreateTime);

    /// <summary>
    /// AppGetUser's <c>Data</c>. Bindery's accounts have a username (which may be an e-mail address or a phone number)
    /// and no profile of their own yet: the nickname is the username, the rest is empty.
    /// </summary>
    public sealed record UserData(string UserID, string UserName, string NickName, string PhoneNumber, string CountryCode,
        string Email, string Avatar, int HasPassword);

    public sealed record DeviceListData(IReadOnlyList<DeviceItem> DeviceList, int Total);

    // ---- dispatch --------------------------------------------------------------------------------------------

    /// <summary>
    /// Identifies the caller behind the request's AccessToken, first of all, and decides the answer's envelope from
    /// their user domain (else the deployment's), so that every later refusal of the request answers in it. The
    /// outcome (the user, or the refusal a missing or bad AccessToken earns) is kept for <see cref="RunAsync"/>;
    /// such a refusal answers in the deployment's envelope, since no domain is known.
    /// </summary>
    public async Task<Caller> IdentifyAsync(HttpContext http, TencentParams parameters)
    {
        var accessToken = parameters.Text("AccessToken", 4096);
        try
        {
            var user = await sessions.AuthenticateAsync(accessToken);
            TencentEnvelope.SetKind(http, await envelopes.ForDomainAsync(user.DomainId));
            return new Caller(user, null);
        }
        catch (BinderyException e) when (e.Error == Errors.TokenMissing || e.Error == Errors.TokenVerificationFailed)
        {
            TencentEnvelope.SetKind(http, await envelopes.ForUnauthenticatedAsync(accessToken));
            return new Caller(null, new BinderyException(Errors.InvalidAccessToken, e.Error == Errors.TokenMissing ? "AccessToken is required" : null));
        }
    }

    /// <summary>The caller of a request: a user, or why there is none.</summary>
    public sealed record Caller(AppUser? User, BinderyException? Refusal);

    /// <summary>Runs <paramref name="action"/> for the <paramref name="caller"/> (an unknown action is refused before a missing caller).</summary>
    public async Task<(TencentShape Shape, object Data)> RunAsync(string action, Caller caller, TencentParams parameters)
    {
        if (!Actions.TryGetValue(action, out var entry))
        {
            throw new BinderyException(Errors.InvalidParameter, $"Action {action} is not supported");
        }
        var user = caller.User ?? throw caller.Refusal!;
        return (entry.Shape, await entry.Run(this, user, parameters));
    }

    // ---- the user ----------------------------------------------------------------------------------------------

    private async Task<object> UserAsync(AppUser user)
    {
        var profile = await accounts.GetProfileAsync(user);
        var isEmail = user.Username.Contains('@', StringComparison.Ordinal);
        var isPhone = user.Username.StartsWith('+') && user.Username.Skip(1).All(char.IsAsciiDigit);
        return new UserData(user.Id, user.Username, profile.Nickname ?? user.Username, isPhone ? user.Username[1..] : "", "",
            isEmail ? user.Username : "", profile.AvatarUrl ?? "", 1);
    }

    /// <summary>AppUpdateUser {NickName?, Avatar?}: what the user says about themselves.</summary>
    private async Task<object> UpdateUserAsync(AppUser user, TencentParams p)
    {
        await accounts.UpdateProfileAsync(user, p.Text("NickName", AccountService.MaxNicknameLength + 1),
            p.Text("Avatar", AccountService.MaxAvatarUrlLength + 1));
        return new NoData();
    }

    /// <summary>Ends the session of the AccessToken the request carries; other sessions of the user stay.</summary>
    private async Task<object> LogoutAsync(TencentParams p)
    {
        await sessions.RevokeAsync(p.Required("AccessToken", 4096));
        return new NoData();
    }

    /// <summary>Replaces the password after checking the current one (same guess limit as logins); other sessions end.</summary>
    private async Task<object> ResetPasswordAsync(AppUser user, TencentParams p)
    {
        await accounts.ChangePasswordAsync(user, p.Required("AccessToken", 4096), p.Required("Password", Passwords.MaxLength),
            p.Required("NewPassword", Passwords.MaxLength));
        return new NoData();
    }

    // ---- tokens ----------------------------------------------------------------------------------------------

    private async Task<object> CreateTokenAsync(AppUser user, TencentParams p)
    {
        var created = await tokens.CreateAsync(user, TokenLengthOf(p));
        return new TokenCreated(created.Token, Seconds(created.ExpiresAt));
    }

    /// <summary>
    /// Bindery's <c>TokenLength</c> (32 or 6) or Tencent's <c>TokenLengthType</c> (<c>"1"</c> = 6 characters,
    /// <c>"0"</c> or <c>""</c> = the default 32; a string in the docs, a number accepted too); the two disagreeing is refused.
    /// </summary>
    private static int TokenLengthOf(TencentParams p)
    {
        var length = p.Number("TokenLength", 0, 1, 1024);
        var byType = p.TextOrNumber("TokenLengthType")?.Trim() switch
        {
            null or "" or "0" => 0,
            "1" => BindTokens.ShortLength,
            _ => throw new BinderyException(Errors.InvalidParameterValue, "TokenLengthType must be \"0\" or \"1\""),
        };
        if (length != 0 && byType != 0 && length != byType)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "TokenLength and TokenLengthType disagree");
        }
        return length != 0 ? length : byType != 0 ? byType : BindTokens.LongLength;
    }

    private async Task<object> TokenStateAsync(AppUser user, TencentParams p)
    {
        var state = await tokens.StateAsync(user, p.Required("Token"));
        var (pk, dk) = (p.Text("ProductId"), p.Text("DeviceName"));
        var device = pk is not null && dk is not null ? await activity.ForAppAsync(user, pk, dk) : null;
        return state.View switch
        {
            BindTokenView.Created => new TokenStateData(BindTokens.StateCreated, null, null, Seconds(state.ExpiresAt), device),
            BindTokenView.Reported => new TokenStateData(BindTokens.StateReported, state.Pk, state.Dk, Seconds(state.ExpiresAt), device),
            BindTokenView.Used => new TokenStateData(BindTokens.StateUsed, state.Pk, state.Dk, Seconds(state.ExpiresAt), device),
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
        // Android's wifiBindDevice sends no RoomId: the family's default room, like "0".
        var frid = RoomOrDefault(p.Text("RoomId")?.Trim() ?? DefaultRoomId);
        try
        {
            await core.BindDeviceAsync(new BindRequest
            {
                User = user,
                Pk = pk,
                Device = new DeviceTarget.ByDk(dk),
                Method = BindingMethods.Token,
                Proof = BindTokens.Proof(token, fid),
                Fid = fid,
                Frid = frid,
                Errors = BindingErrors,
                DomainHomeModeOnly = true,
            });
        }
        catch (BinderyException)
        {
            // A client retrying after a lost answer: the same user re-presenting the token that bound this very
            // device into this family, while that binding still exists, is told success again.
            if (!await tokens.IsRepeatedBindAsync(user, token, pk, dk, fid))
            {
                throw;
            }
        }
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
            families.Skip(offset).Take(limit).Select(f => new FamilyItem(f.Fid, f.Name, RoleOf(f.Role), Seconds(f.CreatedAt))).ToList(),
            families.Count);
    }

    private async Task<object> DescribeFamilyAsync(AppUser user, TencentParams p)
    {
        var family = await homes.GetFamilyAsync(user, p.Required("FamilyId"));
        return new FamilyItem(family.Fid, family.Name, RoleOf(family.Role), Seconds(family.CreatedAt));
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

    /// <summary>
    /// Unbinds the caller's own binding of the device, when that binding is in the given family. The device is
    /// ProductId + DeviceName (Android) or DeviceId = <c>ProductId/DeviceName</c> (mini-program); both given must agree.
    /// </summary>
    private async Task<object> DeleteDeviceAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var (pk, deviceName) = DeviceOf(p);
        var dk = DeviceKeyOf(deviceName);
        await homes.GetFamilyAsync(user, fid);
        await core.UnbindFromFamilyAsync(user, pk, dk, fid, Errors.DeviceNotExist);
        return new NoData();
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /// <summary>ProductId and DeviceName, from those fields or from DeviceId = <c>ProductId/DeviceName</c>.</summary>
    internal static (string Pk, string DeviceName) DeviceOf(TencentParams p)
    {
        var deviceId = p.Text("DeviceId", BindingCore.MaxPkLength + 1 + 128)?.Trim();
        if (string.IsNullOrEmpty(deviceId))
        {
            return (p.Required("ProductId", BindingCore.MaxPkLength), p.Required("DeviceName"));
        }
        var slash = deviceId.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == deviceId.Length - 1)
        {
            throw new BinderyException(Errors.InvalidParameterValue, "DeviceId must be ProductId/DeviceName");
        }
        var pk = deviceId[..slash];
        var deviceName = deviceId[(slash + 1)..];
        var givenPk = p.Text("ProductId", BindingCore.MaxPkLength)?.Trim();
        var givenName = p.Text("DeviceName")?.Trim();
        if ((!string.IsNullOrEmpty(givenPk) && givenPk != pk) || (!string.IsNullOrEmpty(givenName) && givenName != deviceName))
        {
            throw new BinderyException(Errors.InvalidParameter, "DeviceId names another device than ProductId/DeviceName");
        }
        return (pk, deviceName);
    }

    /// <summary>The family role as the clients read it (Android FamilyEntity.Role): 1 owner or admin (may manage), 0 member.</summary>
    public static int RoleOf(FamilyRole role) => role.CanManage() ? 1 : 0;

    /// <summary>
    /// A DeviceName is a device key, as sent: 5361 (InvalidParameterValue) when no device-key format accepts it; the
    /// binding core and the family service check it against the product's own format (docs/binding.md).
    /// </summary>
    internal static string DeviceKeyOf(string deviceName) =>
        DeviceKeys.IsPlausible(deviceName)
            ? deviceName
            : throw new BinderyException(Errors.DkFormat, "DeviceName must be 1-48 characters of A-Z a-z 0-9 : _ - (or an IMEI or a MAC address)");

    private static string? RoomOrDefault(string roomId) =>
        roomId.Length == 0 || roomId == DefaultRoomId ? null : roomId;

    /// <summary>
    /// Offset and Limit. A Limit above <see cref="MaxLimit"/> is clamped to it (Android asks for 999), and 0 means
    /// as many as allowed (iOS asks for 0); a negative one is refused.
    /// </summary>
    internal static (int Offset, int Limit) Page(TencentParams p)
    {
        var limit = p.Number("Limit", DefaultLimit, 0, int.MaxValue);
        return (p.Number("Offset", 0, 0, int.MaxValue), limit == 0 ? MaxLimit : Math.Min(limit, MaxLimit));
    }

    private static long Seconds(long unixMs) => unixMs / 1000;
}
