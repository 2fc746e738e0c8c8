namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>
/// The nodes clients and publishers can reach, as a load balancer with health checks would route: slot 0 is node A,
/// slot 1 node B; a slot's process is replaced when the node restarts, and a killed node is never picked.
/// </summary>
internal sealed class NodeSet
{
    private readonly Lock _gate = new();
    private readonly NodeProcess[] _slots;

    public NodeSet(params NodeProcess[] nodes) => _slots = nodes;

    public int Count => _slots.Length;

    public NodeProcess this[int slot]
    {
        get
        {
            lock (_gate)
            {
                return _slots[slot];
            }
        }
    }

    /// <summary>Puts a restarted node in its slot.</summary>
    public void Replace(int slot, NodeProcess node)
    {
        lock (_gate)
        {
            _slots[slot] = node;
        }
    }

    /// <summary>The node in <paramref name="preferred"/> if it is up, otherwise the next one that is; null when none is.</summary>
    public NodeProcess? Pick(int preferred)
    {
        lock (_gate)
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                var node = _slots[(preferred + i) % _slots.Length];
                if (!node.Killed)
                {
                    return node;
                }
            }

            return null;
        }
    }

    /// <summary>The nodes that are up now.</summary>
    public List<NodeProcess> Live()
    {
        lock (_gate)
        {
            return [.. _slots.Where(n => !n.Killed)];
        }
    }
}
