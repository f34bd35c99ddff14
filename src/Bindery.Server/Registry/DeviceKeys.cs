namespace Bindery.Registry;

/// <summary>What a product's device keys look like (column <c>products.device_key_format</c>; docs/data-model.md).</summary>
public enum DeviceKeyFormat
{
    /// <summary>IMEI (15 digits, Luhn) or MAC (12 hex digits, separators allowed), stored normalised. The default.</summary>
    ImeiOrMac,

    /// <summary>A Quectel custom DK (<c>AT+QIOTCFG="dk_ds"</c>): 1-16 characters of A-Z a-z 0-9, exact and case-sensitive.</summary>
    Custom,

    /// <summary>A Tencent device name: 1-48 characters of A-Z a-z 0-9 : _ -, exact and case-sensitive.</summary>
    Tencent,
}

/// <summary>The wire (and stored) names of <see cref="DeviceKeyFormat"/>: <c>imei-or-mac</c>, <c>custom</c>, <c>tencent</c>.</summary>
public static class DeviceKeyFormatNames
{
    public const string ImeiOrMac = "imei-or-mac";
    public const string Custom = "custom";
    public const string Tencent = "tencent";

    public static DeviceKeyFormat? Parse(string? name) => name switch
    {
        ImeiOrMac => DeviceKeyFormat.ImeiOrMac,
        Custom => DeviceKeyFormat.Custom,
        Tencent => DeviceKeyFormat.Tencent,
        _ => null,
    };

    public static string ToName(DeviceKeyFormat format) => format switch
    {
        DeviceKeyFormat.Custom => Custom,
        DeviceKeyFormat.Tencent => Tencent,
        _ => ImeiOrMac,
    };
}

/// <summary>
/// Device keys. By default (<see cref="DeviceKeyFormat.ImeiOrMac"/>) they are a module's IMEI (15 digits with a valid
/// Luhn check digit) or its MAC address (12 hex digits, with or without ':'/'-' separators), stored normalised: IMEI as
/// is, MAC as 12 uppercase hex digits. A product may instead use Quectel custom DKs or Tencent device names, which are
/// stored and compared exactly as given.
/// </summary>
public static class DeviceKeys
{
    public const int MaxCustomLength = 16;
    public const int MaxTencentLength = 48;

    /// <summary>Longest dk of any format (a Tencent device name).</summary>
    public const int MaxLength = MaxTencentLength;

    /// <summary>The key as stored for a product of <paramref name="format"/>, or null when it is not a key of that format.</summary>
    public static string? Normalize(string? dk, DeviceKeyFormat format) => format switch
    {
        DeviceKeyFormat.Custom => IsCustom(dk) ? dk : null,
        DeviceKeyFormat.Tencent => IsTencentName(dk) ? dk : null,
        _ => Normalize(dk),
    };

    /// <summary>True when <paramref name="dk"/> is a key of some format: the check made before the product is known.</summary>
    public static bool IsPlausible(string? dk) => Normalize(dk) is not null || IsTencentName(dk) || IsCustom(dk);

    /// <summary>What <paramref name="format"/> accepts, for error messages.</summary>
    public static string Describe(DeviceKeyFormat format) => format switch
    {
        DeviceKeyFormat.Custom => $"dk must be 1-{MaxCustomLength} characters of A-Z a-z 0-9 (the product uses custom device keys)",
        DeviceKeyFormat.Tencent => $"dk must be 1-{MaxTencentLength} characters of A-Z a-z 0-9 : _ - (the product uses Tencent device names)",
        _ => "dk must be an IMEI (15 digits, valid check digit) or a MAC address (12 hex digits)",
    };

    private static bool IsCustom(string? dk) =>
        dk is { Length: > 0 and <= MaxCustomLength } && dk.All(char.IsAsciiLetterOrDigit);

    private static bool IsTencentName(string? dk) =>
        dk is { Length: > 0 and <= MaxTencentLength } && dk.All(c => char.IsAsciiLetterOrDigit(c) || c is ':' or '_' or '-');

    /// <summary>The normalised key, or null when <paramref name="dk"/> is neither an IMEI nor a MAC.</summary>
    public static string? Normalize(string? dk)
    {
        if (string.IsNullOrEmpty(dk) || dk.Length > 17)
        {
            return null;
        }
        if (dk.Length == 15 && dk.All(char.IsAsciiDigit))
        {
            return LuhnValid(dk) ? dk : null;
        }
        var hex = dk.Length == 17 ? StripSeparators(dk) : dk;
        if (hex is { Length: 12 } && hex.All(char.IsAsciiHexDigit))
        {
            return hex.ToUpperInvariant();
        }
        return null;
    }

    private static string? StripSeparators(string mac)
    {
        var separator = mac[2];
        if (separator is not (':' or '-'))
        {
            return null;
        }
        for (var i = 2; i < 17; i += 3)
        {
            if (mac[i] != separator)
            {
                return null;
            }
        }
        return mac.Replace(separator.ToString(), "", StringComparison.Ordinal);
    }

    private static bool LuhnValid(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>Makes a valid IMEI from a 14-digit body by appending its Luhn check digit (demo data, tests, benchmark).</summary>
    public static string ImeiFromBody(string body14)
    {
        for (var check = 0; check <= 9; check++)
        {
            var candidate = body14 + (char)('0' + check);
            if (LuhnValid(candidate))
            {
                return candidate;
            }
        }
        throw new ArgumentException("body must be 14 digits", nameof(body14));
    }
}
