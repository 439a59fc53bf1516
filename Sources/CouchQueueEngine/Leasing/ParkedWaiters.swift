import HeapModule

/// The lease requests parked in `WaitingWorkers`, found by id and under each key they named,
/// so that waking the earliest waiter of a key does not look through the waiters of every
/// other key: a publish costs the same with ten workers parked on other queues as with ten
/// thousand.
///
/// Under each key, a heap of the ids that named it gives the earliest (smallest id) first.
/// A waiter that leaves (woken through another key, at its deadline, its client gone) is not
/// looked for in its keys' heaps: its id is passed over when it comes up, and a heap holding
/// more such ids than live ones is rebuilt, one with none live dropped. The heaps so hold at
/// most about twice the entries of the waiters parked.
struct ParkedWaiters<Waiter: ParkedWaiter> {
    private var waiters: [UInt64: Waiter] = [:]
    private var byKey: [String: KeyEntries] = [:]

    /// The ids parked under one key; `live` counts the entries whose waiter is still parked.
    private struct KeyEntries {
        var ids = Heap<UInt64>()
        var live = 0

        mutating func add(_ id: UInt64) {
            ids.insert(id)
            live += 1
        }
    }

    var count: Int { waiters.count }

    /// How many keys have a heap, and how many ids the heaps hold, live or not (for tests).
    var footprint: (keys: Int, entries: Int) { (byKey.count, byKey.values.reduce(0) { $0 + $1.ids.count }) }

    mutating func park(_ waiter: Waiter, as id: UInt64) {
        waiters[id] = waiter
        for key in waiter.keys { byKey[key, default: KeyEntries()].add(id) }
    }

    /// Takes the waiter parked as `id`, if it still is.
    mutating func take(_ id: UInt64) -> Waiter? {
        guard let waiter = waiters.removeValue(forKey: id) else { return nil }
        for key in waiter.keys { left(key) }
        return waiter
    }

    /// Takes the earliest parked waiter that named `key`.
    mutating func takeEarliest(naming key: String) -> Waiter? {
        while let id = byKey[key]?.ids.min {
            if waiters[id] != nil { return take(id) }
            byKey[key]?.ids.removeMin()  // one that left earlier
        }
        return nil
    }

    /// Takes every parked waiter that named any of `keys`.
    mutating func takeAll(naming keys: some Sequence<String>) -> [Waiter] {
        var ids = Set<UInt64>()
        for key in keys {
            guard let entries = byKey[key] else { continue }
            ids.formUnion(entries.ids.unordered.filter { waiters[$0] != nil })
        }
        return take(ids.sorted())
    }

    /// Takes the waiters parked as `ids` that still are.
    mutating func take(_ ids: [UInt64]) -> [Waiter] {
        ids.compactMap { take($0) }
    }

    /// The parked waiters by id.
    var byID: [UInt64: Waiter] { waiters }

    /// One entry of `key` belongs to a waiter no longer parked.
    private mutating func left(_ key: String) {
        // Taken out, so that the heap is changed in place rather than copied.
        guard var entries = byKey.removeValue(forKey: key) else { return }
        entries.live -= 1
        guard entries.live > 0 else { return }
        if entries.ids.count > 2 * entries.live {
            entries.ids = Heap(entries.ids.unordered.filter { waiters[$0] != nil })
        }
        byKey[key] = entries
    }
}

/// What `ParkedWaiters` needs of a waiter: the keys it waits under.
protocol ParkedWaiter {
    var keys: [String] { get }
}
