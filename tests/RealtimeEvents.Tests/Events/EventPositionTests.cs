namespace RealtimeEvents.Tests.Events;

public sealed class EventPositionTests
{
    [Fact]
    public void Ctor_StoresEpochAndSequence()
    {
        var position = new EventPosition("3f9c2e1b7d4a", 42);

        Assert.Equal("3f9c2e1b7d4a", position.Epoch);
        Assert.Equal(42, position.Sequence);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("Epoch_1-X")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Ctor_AcceptsValidEpochs(string epoch) => Assert.Equal(epoch, new EventPosition(epoch, 0).Epoch);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("has:colon")]
    [InlineData("has/slash")]
    [InlineData("has.dot")]
    [InlineData("époque")]
    [InlineData("01234567890123456789012345678901234567890123456789012345678901234")]
    public void Ctor_InvalidEpoch_ThrowsArgumentException_NamingTheRule(string? epoch)
    {
        var ex = Assert.Throws<ArgumentException>(() => new EventPosition(epoch!, 1));

        Assert.Equal("epoch", ex.ParamName);
        Assert.Contains("1 to 64 characters of letters, digits, '-' or '_'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctor_NegativeSequence_ThrowsArgumentOutOfRangeException()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new EventPosition("e1", -1));

        Assert.Equal("sequence", ex.ParamName);
    }

    [Fact]
    public void Ctor_SequenceZero_MeansBeforeTheFirstEvent_AndIsAllowed() =>
        Assert.Equal(0, new EventPosition("e1", 0).Sequence);

    [Fact]
    public void ToString_IsEpochColonSequence() =>
        Assert.Equal("3f9c2e1b7d4a:42", new EventPosition("3f9c2e1b7d4a", 42).ToString());

    [Theory]
    [InlineData("e1", 0)]
    [InlineData("e1", 1)]
    [InlineData("3f9c2e1b7d4a", 42)]
    [InlineData("Epoch_With-Dashes", long.MaxValue)]
    public void ToString_Parse_RoundTrips(string epoch, long sequence)
    {
        var position = new EventPosition(epoch, sequence);

        Assert.Equal(position, EventPosition.Parse(position.ToString()));
        Assert.True(EventPosition.TryParse(position.ToString(), out var parsed));
        Assert.Equal(position, parsed);
    }

    [Fact]
    public void ToString_IgnoresTheCurrentCulture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("ar-SA");
            Assert.Equal("e1:1234567", new EventPosition("e1", 1234567).ToString());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("e1")]
    [InlineData("42")]
    [InlineData(":42")]
    [InlineData("e1:")]
    [InlineData("e1:-1")]
    [InlineData("e1:+1")]
    [InlineData("e1: 1")]
    [InlineData("e1:1 ")]
    [InlineData(" e1:1")]
    [InlineData("e1:1.5")]
    [InlineData("e1:1e3")]
    [InlineData("e1:0x10")]
    [InlineData("e1:abc")]
    [InlineData("e1:99999999999999999999")]
    [InlineData("e 1:1")]
    [InlineData("a:b:1")]
    [InlineData("e.1:1")]
    public void TryParse_MalformedText_ReturnsFalse(string? text)
    {
        Assert.False(EventPosition.TryParse(text, out var position));
        Assert.Equal(default, position);
    }

    [Theory]
    [InlineData("")]
    [InlineData("e1")]
    [InlineData("e1:-5")]
    [InlineData("a:b:1")]
    public void Parse_MalformedText_ThrowsFormatException_ShowingTheExpectedForm(string text)
    {
        var ex = Assert.Throws<FormatException>(() => EventPosition.Parse(text));

        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("epoch:sequence", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_LongestEpoch_Succeeds()
    {
        var epoch = new string('a', 64);

        Assert.True(EventPosition.TryParse(epoch + ":7", out var position));
        Assert.Equal(new EventPosition(epoch, 7), position);
        Assert.False(EventPosition.TryParse(epoch + "a:7", out _));
    }

    [Fact]
    public void Equality_IsByEpochAndSequence()
    {
        Assert.Equal(new EventPosition("e1", 5), new EventPosition("e1", 5));
        Assert.NotEqual(new EventPosition("e1", 5), new EventPosition("e1", 6));
        Assert.NotEqual(new EventPosition("e1", 5), new EventPosition("E1", 5));
        Assert.True(new EventPosition("e1", 5) == EventPosition.Parse("e1:5"));
    }
}
