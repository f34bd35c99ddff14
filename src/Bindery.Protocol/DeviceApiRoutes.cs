namespace Bindery.Protocol;

/// <summary>The device API's paths (docs/device-api.md): what a device signs as PATH and the server maps.</summary>
public static class DeviceApiRoutes
{
    public const string Prefix = "/device/v1";

    public const string BindingCode = Prefix + "/binding-code";
    public const string BindingSecret = Prefix + "/binding-secret";
    public const string Reset = Prefix + "/reset";
    public const string AuthKeyVerify = Prefix + "/auth-key/verify";
    public const string PairingWindow = Prefix + "/pairing-window";
    public const string BindToken = Prefix + "/bind-token";
    public const string BindingState = Prefix + "/binding-state";

    /// <summary><paramref name="path"/> without <see cref="Prefix"/>, for mapping it on a group under the prefix.</summary>
    public static string Relative(string path) =>
        path.StartsWith(Prefix + "/", StringComparison.Ordinal)
            ? path[Prefix.Length..]
            : throw new ArgumentException($"{path} is not under {Prefix}", nameof(path));
}
