using Microsoft.AspNetCore.SignalR;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>The plain SignalR baseline's hub: clients only listen; the publisher sends through <c>IHubContext</c>.</summary>
internal sealed class PlainHub : Hub;
