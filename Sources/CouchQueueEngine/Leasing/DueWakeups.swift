import HeapModule

/// Keys to wake once a unix time has come: scheduled tasks falling due.
///
/// Wake-ups are gathered in slots of `resolution` seconds, earliest first in a heap, so a
/// tick costs nothing while nothing is due (a list scanned on every tick cost an idle server
/// CPU for every scheduled task), and one key due many times in one slot is kept once. A slot
/// is taken at its end, never earlier: a waiter woken before its task is due would find
/// nothing and sleep until its next re-check.
///
/// At most `capacity` slots are kept; past that the latest is dropped. Its waiters then find
/// their tasks at their periodic re-check (`EngineOptions.leaseRecheck`) instead of at once.
struct DueWakeups {
    let resolution: Double
    let capacity: Int
    /// Slot numbers (a slot ends at `number × resolution`), each with its keys in `keys`.
    private var slots = Heap<Double>()
    private var keys: [Double: Set<String>] = [:]

    init(resolution: Double, capacity: Int = 100_000) {
        self.resolution = resolution
        self.capacity = capacity
    }

    mutating func add(_ keys: [String], at time: Double) {
        guard !keys.isEmpty else { return }
        let slot = (time / resolution).rounded(.up)
        if self.keys[slot] == nil {
            if slots.count >= capacity {
                guard let latest = slots.max, slot < latest else { return }
                slots.removeMax()
                self.keys[latest] = nil
            }
            slots.insert(slot)
        }
        self.keys[slot, default: []].formUnion(keys)
    }

    /// Removes and answers the keys of every slot that has ended by the unix time `now`.
    mutating func takeDue(at now: Double) -> Set<String> {
        var due: Set<String> = []
        while let slot = slots.min, slot * resolution <= now {
            slots.removeMin()
            due.formUnion(keys.removeValue(forKey: slot) ?? [])
        }
        return due
    }
}
