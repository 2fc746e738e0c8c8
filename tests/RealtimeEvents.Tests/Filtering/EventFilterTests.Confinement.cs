namespace RealtimeEvents.Tests.Filtering;

public sealed partial class EventFilterTests
{
    [Theory]
    [InlineData("tenants/acme", true)]
    [InlineData("tenants/acme/orders", true)]
    [InlineData("tenants/acme/orders/o-1", true)]
    [InlineData("tenants/other", false)]
    [InlineData("tenants", false)]
    [InlineData("tenants/acmecorp", false)] // a sibling that merely starts with the same characters
    [InlineData("tenants/acme-eu/orders", false)]
    [InlineData("tenants/acme/**", true)]
    [InlineData("tenants/acme/*", true)]
    [InlineData("tenants/acme/*/orders/**", true)]
    [InlineData("tenants/acmecorp/**", false)]
    [InlineData("tenants/*", false)] // the wildcard reaches every tenant
    [InlineData("tenants/*/orders", false)]
    [InlineData("tenants/**", false)]
    [InlineData("*/acme", false)]
    [InlineData("*", false)]
    [InlineData("**", false)]
    public void IsConfinedTo_OneTopicOrPattern(string topic, bool expected) =>
        Assert.Equal(expected, EventFilter.Create([topic]).IsConfinedTo("tenants/acme"));

    [Fact]
    public void IsConfinedTo_EveryTopicMustBeInside()
    {
        Assert.True(EventFilter.Create(["tenants/acme/a", "tenants/acme/b/**", "tenants/acme"]).IsConfinedTo("tenants/acme"));
        Assert.False(EventFilter.Create(["tenants/acme/a", "tenants/other/b"]).IsConfinedTo("tenants/acme"));
        Assert.False(EventFilter.Create(["tenants/acme/**", "tenants/*"]).IsConfinedTo("tenants/acme"));
    }

    [Fact]
    public void IsConfinedTo_AFilterNamingNoTopic_IsNeverConfined_WhateverElseItNarrows()
    {
        Assert.False(EventFilter.All.IsConfinedTo("tenants/acme"));
        Assert.False(EventFilter.Create(types: ["execution.*"], meta: new Dictionary<string, string> { ["tenant"] = "acme" }).IsConfinedTo("tenants/acme"));
        Assert.False(EventFilter.Create([]).IsConfinedTo("tenants"));
    }

    [Fact]
    public void IsConfinedTo_ASingleSegmentPrefix()
    {
        Assert.True(EventFilter.Create(["tenants/**"]).IsConfinedTo("tenants"));
        Assert.True(EventFilter.Create(["tenants/*/orders"]).IsConfinedTo("tenants"));
        Assert.False(EventFilter.Create(["tenantsx/a"]).IsConfinedTo("tenants"));
    }

    [Fact]
    public void IsConfinedTo_IsCaseSensitive()
    {
        Assert.False(EventFilter.Create(["Tenants/acme/a"]).IsConfinedTo("tenants/acme"));
        Assert.False(EventFilter.Create(["tenants/ACME/**"]).IsConfinedTo("tenants/acme"));
    }

    [Fact]
    public void PartialSegmentWildcard_LikeTenantsAcmeStar_IsNotAValidPattern_SoItCannotSlipPastConfinement() =>
        Assert.False(EventFilter.TryCreate(["tenants/acme*"], null, EventPriority.Low, null, out _, out _));

    [Theory]
    [InlineData("")]
    [InlineData("tenants/")]
    [InlineData("tenants/*")]
    [InlineData("tenants//acme")]
    [InlineData("tenants/ac me")]
    public void IsConfinedTo_AnInvalidPrefix_ThrowsArgumentException(string prefix)
    {
        var ex = Assert.Throws<ArgumentException>(() => EventFilter.Create(["tenants/acme"]).IsConfinedTo(prefix));

        Assert.Equal("topicPrefix", ex.ParamName);
    }

    [Fact]
    public void IsConfinedTo_NullPrefix_Throws() =>
        Assert.ThrowsAny<ArgumentException>(() => EventFilter.Create(["tenants/acme"]).IsConfinedTo(null!));
}
