namespace Bindery.Registry;

/// <summary>
/// Device keys are a module's IMEI (15 digits with a valid Luhn check digit) or its MAC address (12 hex digits,
/// with or without ':'/'-' separators). Keys are stored normalised: IMEI as is, MAC as 12 uppercase hex digits.
/// </summary>
public static class DeviceKeys
{
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
