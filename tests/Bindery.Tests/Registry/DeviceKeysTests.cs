using Bindery.Registry;

namespace Bindery.Tests.Registry;

public sealed class DeviceKeysTests
{
    [Theory]
    [InlineData("490154203237518")] // a textbook IMEI
    [InlineData("356938035643809")]
    [InlineData("000000000000000")]
    public void An_IMEI_with_a_valid_Luhn_check_digit_is_kept_as_is(string imei) =>
        Assert.Equal(imei, DeviceKeys.Normalize(imei));

    [Theory]
    [InlineData("490154203237519")] // check digit off by one
    [InlineData("490154203237510")]
    [InlineData("940154203237518")] // two digits swapped
    public void An_IMEI_with_a_wrong_check_digit_is_refused(string imei) =>
        Assert.Null(DeviceKeys.Normalize(imei));

    [Theory]
    [InlineData("49015420323751")] // 14 digits
    [InlineData("4901542032375180")] // 16 digits
    [InlineData("49015420323751a")]
    [InlineData("４９０１５４２０３２３７５１８")] // full-width digits are not ASCII digits
    public void Digit_strings_of_the_wrong_length_or_alphabet_are_refused(string value) =>
        Assert.Null(DeviceKeys.Normalize(value));

    [Theory]
    [InlineData("a1b2c3d4e5f6", "A1B2C3D4E5F6")]
    [InlineData("A1B2C3D4E5F6", "A1B2C3D4E5F6")]
    [InlineData("a1:b2:c3:d4:e5:f6", "A1B2C3D4E5F6")]
    [InlineData("A1-B2-C3-D4-E5-F6", "A1B2C3D4E5F6")]
    [InlineData("112233445566", "112233445566")]
    public void A_MAC_in_any_usual_form_normalises_to_12_uppercase_hex_digits(string mac, string expected) =>
        Assert.Equal(expected, DeviceKeys.Normalize(mac));

    [Theory]
    [InlineData("a1:b2-c3:d4:e5:f6")] // mixed separators
    [InlineData("a1.b2.c3.d4.e5.f6")]
    [InlineData("a1b2:c3d4:e5f6")]
    [InlineData("a1:b2:c3:d4:e5:g6")] // not hex
    [InlineData("a1b2c3d4e5")] // 10 hex digits
    [InlineData("a1b2c3d4e5f6a7")] // 14 hex digits
    [InlineData("a1:b2:c3:d4:e5:f6:")]
    public void Malformed_MACs_are_refused(string value) =>
        Assert.Null(DeviceKeys.Normalize(value));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("SN-0001")]
    [InlineData("' OR 1=1 --")]
    public void Anything_else_is_refused(string? value) =>
        Assert.Null(DeviceKeys.Normalize(value));

    [Fact]
    public void ImeiFromBody_appends_the_check_digit_that_makes_the_IMEI_valid()
    {
        var imei = DeviceKeys.ImeiFromBody("49015420323751");
        Assert.Equal("490154203237518", imei);
        Assert.Equal(imei, DeviceKeys.Normalize(imei));
    }

    [Fact]
    public void Exactly_one_check_digit_makes_a_14_digit_body_valid()
    {
        var random = new Random(7);
        for (var n = 0; n < 200; n++)
        {
            var body = string.Concat(Enumerable.Range(0, 14).Select(_ => (char)('0' + random.Next(10))));
            var valid = Enumerable.Range(0, 10).Count(d => DeviceKeys.Normalize(body + d) is not null);
            Assert.Equal(1, valid);
        }
    }

    [Theory]
    [InlineData("imei-or-mac", "a1:b2:c3:d4:e5:f6", "A1B2C3D4E5F6")]
    [InlineData("imei-or-mac", "490154203237518", "490154203237518")]
    [InlineData("imei-or-mac", "light1", null)]
    [InlineData("custom", "12345678", "12345678")]
    [InlineData("custom", "a1b2c3d4e5f6", "a1b2c3d4e5f6")] // a MAC-looking custom DK is not upper-cased
    [InlineData("custom", "1234567890abcdefg", null)] // 17 characters
    [InlineData("custom", "dk-1", null)]
    [InlineData("tencent", "llsync_wifi_001", "llsync_wifi_001")]
    [InlineData("tencent", "Light1", "Light1")]
    [InlineData("tencent", "aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff")] // kept exactly, separators included
    [InlineData("tencent", "light.1", null)]
    [InlineData("tencent", "light 1", null)]
    [InlineData("tencent", "", null)]
    public void Each_format_accepts_its_own_keys_and_only_imei_or_mac_normalises(string format, string dk, string? stored) =>
        Assert.Equal(stored, DeviceKeys.Normalize(dk, DeviceKeyFormatNames.Parse(format)!.Value));

    [Theory]
    [InlineData("490154203237518", true)]
    [InlineData("a1-b2-c3-d4-e5-f6", true)]
    [InlineData("df2eSJyY", true)]
    [InlineData("ESP32_D1", true)]
    [InlineData("light 1", false)]
    [InlineData("lümen", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_key_is_plausible_when_some_format_accepts_it(string? dk, bool plausible)
    {
        Assert.Equal(plausible, DeviceKeys.IsPlausible(dk));
        Assert.False(DeviceKeys.IsPlausible(new string('n', DeviceKeys.MaxLength + 1)));
    }

    [Fact]
    public void Format_names_round_trip_and_unknown_ones_are_refused()
    {
        foreach (var format in Enum.GetValues<DeviceKeyFormat>())
        {
            Assert.Equal(format, DeviceKeyFormatNames.Parse(DeviceKeyFormatNames.ToName(format)));
        }
        Assert.Null(DeviceKeyFormatNames.Parse("Tencent"));
        Assert.Null(DeviceKeyFormatNames.Parse(null));
    }
}
