using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using NSubstitute;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.DependencyInjection;

public sealed class SubscriptionAuthorizerTests
{
    private static SubscriptionAuthorizationContext Context(IServiceProvider services, params string[] topics)
    {
        var request = new SubscriptionRequest { Id = "s1", Topics = topics };
        return new SubscriptionAuthorizationContext(new ClaimsPrincipal(new ClaimsIdentity()), request, request.ToFilter(), "websocket", services);
    }

    private static SubscriptionAuthorizationResult ConfinedToAcme(SubscriptionAuthorizationContext context) =>
        context.Filter.IsConfinedTo("tenants/acme")
            ? SubscriptionAuthorizationResult.Allow
            : SubscriptionAuthorizationResult.Deny("Subscribe to topics under tenants/acme only.");

    [Fact]
    public async Task AddSubscriptionAuthorizer_Delegate_RegistersAnAuthorizerThatAsksTheDelegate()
    {
        var services = new ServiceCollection();
        services.AddRealtimeEvents().AddSubscriptionAuthorizer(ConfinedToAcme);
        await using var provider = services.BuildServiceProvider();

        var authorizer = Assert.Single(provider.GetServices<ISubscriptionAuthorizer>());

        Assert.True((await authorizer.AuthorizeAsync(Context(provider, "tenants/acme/**"), CancellationToken.None).WithTimeout()).Allowed);
        var denied = await authorizer.AuthorizeAsync(Context(provider, "tenants/*"), CancellationToken.None).WithTimeout();
        Assert.False(denied.Allowed);
        Assert.Equal("Subscribe to topics under tenants/acme only.", denied.Reason);
    }

    [Fact]
    public async Task AddSubscriptionAuthorizer_Type_RegistersOneSingleton_EvenWhenAddedTwice()
    {
        var services = new ServiceCollection();
        services.AddRealtimeEvents().AddSubscriptionAuthorizer<DenyEverything>().AddSubscriptionAuthorizer<DenyEverything>();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var descriptor = Assert.Single(services, d => d.ServiceType == typeof(ISubscriptionAuthorizer));
        Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);
        var authorizer = Assert.IsType<DenyEverything>(Assert.Single(provider.GetServices<ISubscriptionAuthorizer>()));
        Assert.Same(authorizer, provider.GetServices<ISubscriptionAuthorizer>().Single());
        Assert.False((await authorizer.AuthorizeAsync(Context(provider, "tenants/acme"), CancellationToken.None).WithTimeout()).Allowed);
    }

    [Fact]
    public async Task SeveralAuthorizers_AreAllRegistered_InOrder_AndTheFirstDenialIsReturned()
    {
        var services = new ServiceCollection();
        services.AddRealtimeEvents()
            .AddSubscriptionAuthorizer(ConfinedToAcme)
            .AddSubscriptionAuthorizer<DenyEverything>();
        await using var provider = services.BuildServiceProvider();
        var authorizers = provider.GetServices<ISubscriptionAuthorizer>().ToList();

        Assert.Equal(2, authorizers.Count);
        Assert.IsType<DenyEverything>(authorizers[1]);
        var outside = await authorizers.AuthorizeAllAsync(Context(provider, "tenants/other")).WithTimeout();
        Assert.Equal("Subscribe to topics under tenants/acme only.", outside.Reason);
        var inside = await authorizers.AuthorizeAllAsync(Context(provider, "tenants/acme")).WithTimeout();
        Assert.Equal(DenyEverything.Reason, inside.Reason);
    }

    [Fact]
    public async Task AuthorizeAllAsync_ReturnsTheFirstDenial_AndAsksNoFurther()
    {
        using var cts = new CancellationTokenSource();
        var allow = Authorizer(SubscriptionAuthorizationResult.Allow);
        var first = Authorizer(SubscriptionAuthorizationResult.Deny("first"));
        var second = Authorizer(SubscriptionAuthorizationResult.Deny("second"));
        var context = Context(Substitute.For<IServiceProvider>(), "tenants/acme");

        var result = await new[] { allow, first, second }.AuthorizeAllAsync(context, cts.Token).WithTimeout();

        Assert.False(result.Allowed);
        Assert.Equal("first", result.Reason);
        await allow.Received(1).AuthorizeAsync(context, cts.Token);
        await first.Received(1).AuthorizeAsync(context, cts.Token);
        await second.DidNotReceiveWithAnyArgs().AuthorizeAsync(default!, default);
    }

    [Fact]
    public async Task AuthorizeAllAsync_AllowsWhenEveryAuthorizerAllows_OrThereAreNone()
    {
        var context = Context(Substitute.For<IServiceProvider>(), "tenants/acme");

        var none = await Array.Empty<ISubscriptionAuthorizer>().AuthorizeAllAsync(context).WithTimeout();
        var all = await new[] { Authorizer(SubscriptionAuthorizationResult.Allow), Authorizer(SubscriptionAuthorizationResult.Allow) }
            .AuthorizeAllAsync(context).WithTimeout();

        Assert.Same(SubscriptionAuthorizationResult.Allow, none);
        Assert.Same(SubscriptionAuthorizationResult.Allow, all);
        Assert.True(all.Allowed);
        Assert.Null(all.Reason);
    }

    [Fact]
    public async Task NullArguments_AreRejected()
    {
        var builder = new ServiceCollection().AddRealtimeEvents();
        var context = Context(Substitute.For<IServiceProvider>(), "tenants/acme");

        Assert.Throws<ArgumentNullException>(() => ((IRealtimeEventsBuilder)null!).AddSubscriptionAuthorizer(ConfinedToAcme));
        Assert.Throws<ArgumentNullException>(() => ((IRealtimeEventsBuilder)null!).AddSubscriptionAuthorizer<DenyEverything>());
        Assert.Throws<ArgumentNullException>(() => builder.AddSubscriptionAuthorizer((Func<SubscriptionAuthorizationContext, SubscriptionAuthorizationResult>)null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => ((IEnumerable<ISubscriptionAuthorizer>)null!).AuthorizeAllAsync(context).AsTask()).WithTimeout();
        await Assert.ThrowsAsync<ArgumentNullException>(() => Array.Empty<ISubscriptionAuthorizer>().AuthorizeAllAsync(null!).AsTask()).WithTimeout();
        Assert.ThrowsAny<ArgumentException>(() => SubscriptionAuthorizationResult.Deny(""));
    }

    private static ISubscriptionAuthorizer Authorizer(SubscriptionAuthorizationResult result)
    {
        var authorizer = Substitute.For<ISubscriptionAuthorizer>();
        authorizer.AuthorizeAsync(Arg.Any<SubscriptionAuthorizationContext>(), Arg.Any<CancellationToken>()).Returns(result);
        return authorizer;
    }

    private sealed class DenyEverything : ISubscriptionAuthorizer
    {
        public const string Reason = "Nothing is allowed here.";

        public ValueTask<SubscriptionAuthorizationResult> AuthorizeAsync(SubscriptionAuthorizationContext context, CancellationToken cancellationToken) =>
            new(SubscriptionAuthorizationResult.Deny(Reason));
    }
}
