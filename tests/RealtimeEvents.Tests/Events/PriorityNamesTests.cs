namespace RealtimeEvents.Tests.Events;

public sealed class PriorityNamesTests
{
    [Theory]
    [InlineData(EventPriority.Low, "low")]
    [InlineData(EventPriority.Normal, "normal")]
    [InlineData(EventPriority.High, "high")]
    [InlineData(EventPriority.Critical, "critical")]
    public void ToWire_ReturnsTheLowercaseName(EventPriority priority, string expected) =>
        Assert.Equal(expected, PriorityNames.ToWire(priority));

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    public void ToWire_UndefinedValue_ThrowsArgumentOutOfRangeException(int value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PriorityNames.ToWire((EventPriority)value));

        Assert.Equal("priority", ex.ParamName);
    }

    [Theory]
    [InlineData("low", EventPriority.Low)]
    [InlineData("normal", EventPriority.Normal)]
    [InlineData("high", EventPriority.High)]
    [InlineData("critical", EventPriority.Critical)]
    [InlineData("LOW", EventPriority.Low)]
    [InlineData("Critical", EventPriority.Critical)]
    [InlineData("hIgH", EventPriority.High)]
    public void TryParse_KnownNames_CaseInsensitive(string text, EventPriority expected)
    {
        Assert.True(PriorityNames.TryParse(text, out var priority));
        Assert.Equal(expected, priority);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" low")]
    [InlineData("low ")]
    [InlineData("urgent")]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("Normal,High")]
    public void TryParse_UnknownText_ReturnsFalse(string? text)
    {
        Assert.False(PriorityNames.TryParse(text, out var priority));
        Assert.Equal(default, priority);
    }

    [Fact]
    public void ToWire_TryParse_RoundTripEveryDefinedPriority()
    {
        foreach (var priority in Enum.GetValues<EventPriority>())
        {
            Assert.True(PriorityNames.TryParse(PriorityNames.ToWire(priority), out var parsed));
            Assert.Equal(priority, parsed);
        }
    }

    [Fact]
    public void TryParse_IgnoresTheCurrentCulture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("tr-TR");
            Assert.True(PriorityNames.TryParse("critical", out var priority));
            Assert.Equal(EventPriority.Critical, priority);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
