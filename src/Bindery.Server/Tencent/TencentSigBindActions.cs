using System.Globalization;
using Bindery.Accounts;
using Bindery.Binding;
using Bindery.Infrastructure;
using Bindery.Protocol;
using Bindery.Registry;

namespace Bindery.Tencent;

/// <summary>
/// The Tencent-style binding actions beyond the token: <c>AppSigBindDeviceInFamily</c> (a signature the device
/// computed) and <c>AppSecureAddDeviceInFamily</c> (a QR code's DeviceSignature). Thin adapters: they read the
/// parameters and hand one <see cref="BindRequest"/> with its possession proof to the <see cref="BindingCore"/>
/// (docs/binding.md, docs/tencent-api.md).
/// </summary>
public sealed class TencentSigBindActions(BindingCore core, TimeProvider clock)
{
    public const string WifiSign = "wifi_sign";
    public const string BluetoothSign = "bluetooth_sign";
    public const string OtherSign = "other_sign";

    private static readonly string[] BindTypes = [WifiSign, BluetoothSign, OtherSign];

    /// <summary>The bound device as both actions answer it (<c>data.AppDeviceInfo</c>).</summary>
    public sealed record AppDeviceInfo(string DeviceId, string ProductId, string DeviceName, string AliasName, string UserID,
        string FamilyId, string RoomId, string IconUrl, long CreateTime, long UpdateTime);

    public sealed record BoundData(AppDeviceInfo AppDeviceInfo);

    /// <summary>
    /// AppSigBindDeviceInFamily {FamilyId, RoomId?, ProductId, DeviceName, DeviceTimestamp, ConnId?, Signature,
    /// BindType (wifi_sign, bluetooth_sign, other_sign; default wifi_sign), SignMethod (hmacsha1, hmacsha256; default hmacsha1)}.
    /// </summary>
    public async Task<object> SigBindAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var frid = Room(p);
        var pk = p.Required("ProductId", BindingCore.MaxPkLength);
        var dk = TencentActions.DeviceKeyOf(p.Required("DeviceName"));
        var timestampText = p.TextOrNumber("DeviceTimestamp", 20)?.Trim();
        if (string.IsNullOrEmpty(timestampText))
        {
            throw new BinderyException(Errors.InvalidParameter, "DeviceTimestamp is required");
        }
        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "DeviceTimestamp is Unix seconds");
        }
        var connId = p.Text("ConnId", SignatureBindingProof.MaxConnIdLength) ?? "";
        var signature = p.Required("Signature", SignatureBindingProof.MaxSignatureLength);
        var bindType = Blank(p.Text("BindType")) ?? WifiSign;
        if (!BindTypes.Contains(bindType, StringComparer.Ordinal))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "BindType is wifi_sign, bluetooth_sign or other_sign");
        }
        var signMethod = Blank(p.Text("SignMethod")) ?? TencentBindSignature.HmacSha1;
        if (signMethod is not (TencentBindSignature.HmacSha1 or TencentBindSignature.HmacSha256))
        {
            throw new BinderyException(Errors.InvalidParameterValue, "SignMethod is hmacsha1 or hmacsha256");
        }
        var result = await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = pk,
            Device = new DeviceTarget.ByDk(dk),
            Method = BindingMethods.Sig,
            Proof = new SignatureBindingProof(new SignatureBindFields(pk, dk, timestamp, connId, signature, signMethod)),
            Fid = fid,
            Frid = frid,
            Errors = TencentActions.BindingErrors,
            DomainHomeModeOnly = true,
        });
        return Bound(user, result, fid, frid);
    }

    /// <summary>
    /// AppSecureAddDeviceInFamily {FamilyId, RoomId?, DeviceSignature, ProductId?, DeviceName?}: the device is the
    /// one ProductId/DeviceName name when given (the signature must be that device's), else the one the signature names.
    /// </summary>
    public async Task<object> SecureAddAsync(AppUser user, TencentParams p)
    {
        var fid = p.Required("FamilyId");
        var frid = Room(p);
        var signature = QrDeviceSignature.Parse(p.Required("DeviceSignature", QrDeviceSignature.MaxLength))
            ?? throw new BinderyException(Errors.InvalidParameterValue, "DeviceSignature is not a QR device signature (docs/binding.md, \"QR secure add\")");
        var pk = Blank(p.Text("ProductId", BindingCore.MaxPkLength)) ?? signature.Pk;
        var deviceName = Blank(p.Text("DeviceName")) ?? signature.Dk;
        var result = await core.BindDeviceAsync(new BindRequest
        {
            User = user,
            Pk = pk,
            Device = new DeviceTarget.ByDk(TencentActions.DeviceKeyOf(deviceName)),
            Method = BindingMethods.Qr,
            Proof = new QrSecureAddProof(signature),
            Fid = fid,
            Frid = frid,
            Errors = TencentActions.BindingErrors,
            DomainHomeModeOnly = true,
        });
        return Bound(user, result, fid, frid);
    }

    private BoundData Bound(AppUser user, BindResult result, string fid, string? frid)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        return new BoundData(new AppDeviceInfo(result.Pk + "/" + result.Dk, result.Pk, result.Dk, result.ProductName, user.Id, fid,
            frid ?? TencentActions.DefaultRoomId, result.ProductLogo, now, now));
    }

    /// <summary>RoomId absent, <c>""</c> or <c>"0"</c>: the family's default room.</summary>
    private static string? Room(TencentParams p) =>
        p.Text("RoomId")?.Trim() is { Length: > 0 } room && room != TencentActions.DefaultRoomId ? room : null;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
