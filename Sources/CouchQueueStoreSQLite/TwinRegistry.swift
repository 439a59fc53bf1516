import CouchQueueStore
import DequeModule
import Synchronization

/// Where the live (queued or started) tasks of each queue and data are: the `singularly…`
/// rules look their twins up here, in memory, rather than in an index on `tasks`.
///
/// Such an index is keyed by a hash of the data, so every publish put its entry on a page
/// chosen at random and every finish took it off one: a page written to the log and copied
/// back for each of them, about 12 µs of a publish's 75. One server owns the file, so the
/// registry can live in its memory; it is loaded from the table when the store opens.
///
/// It is a superset: every live task is in it, while a finished or deleted one may linger
/// until a lookup finds it gone. Callers check the candidates' rows. So additions apply at
/// once, and removals only when the batch that made them commits (`TransactionJournal`): a
/// task whose finish is rolled back is live again and must still be found.
final class TwinRegistry: TransactionJournal {
    private struct State {
        var live: [Int64: Seqs] = [:]
        /// The batch's changes since it began, in order; removals are applied at commit.
        var journal: [Change] = []
    }

    /// The `seq`s under one key, in ascending order; most keys have one. Many tasks may share
    /// one (the same data published again and again, `{}`): a double-ended queue, since they
    /// mostly finish oldest first, so that taking one out costs about the same at any length
    /// (an array's shift cost a drain or a `DELETE /queue` time growing with the square).
    fileprivate enum Seqs {
        case one(Int64)
        case many(Deque<Int64>)
    }

    fileprivate enum Change: Hashable {
        case added(key: Int64, seq: Int64)
        case removed(key: Int64, seq: Int64)
    }

    private let state = Mutex(State())

    /// Registers the live tasks found when the store opens, in any order; no batch is under
    /// way. Each key's `seq`s are sorted once, at the end.
    func load(_ entries: (_ register: (_ seq: Int64, _ queue: String, _ dataKey: Int64) -> Void) throws -> Void) rethrows {
        try state.withLock { state in
            try entries { seq, queue, dataKey in state.live.add(seq, at: Self.key(queue, dataKey), sorted: false) }
            state.live = state.live.mapValues { seqs in
                guard case .many(let unsorted) = seqs else { return seqs }
                return .many(Deque(unsorted.sorted()))
            }
        }
    }

    /// The `seq`s that may hold a live task with this queue and data, oldest first.
    func candidates(queue: String, dataKey: Int64) -> Deque<Int64> {
        switch state.withLock({ $0.live[Self.key(queue, dataKey)] }) {
        case nil: []
        case .one(let seq)?: [seq]
        case .many(let seqs)?: seqs
        }
    }

    /// A task was inserted (or made live again): it is a candidate from now on.
    func add(seq: Int64, queue: String, dataKey: Int64) {
        let key = Self.key(queue, dataKey)
        state.withLock { state in
            state.live.add(seq, at: key, sorted: true)
            state.journal.append(.added(key: key, seq: seq))
        }
    }

    /// A task finished or was deleted, or a lookup found its row gone: it stops being a
    /// candidate when the batch commits.
    func remove(seq: Int64, queue: String, dataKey: Int64) {
        state.withLock { $0.journal.append(.removed(key: Self.key(queue, dataKey), seq: seq)) }
    }

    /// How many `seq`s are registered, lingering ones included.
    var count: Int {
        state.withLock { state in
            state.live.values.reduce(0) { count, seqs in
                switch seqs {
                case .one: count + 1
                case .many(let seqs): count + seqs.count
                }
            }
        }
    }

    // MARK: TransactionJournal

    func mark() -> Int {
        state.withLock { $0.journal.count }
    }

    func rollBack(to mark: Int) {
        state.withLock { $0.journal.removeSubrange(mark...) }
    }

    /// Applies the batch's removals, except where the same `seq` was added again after its
    /// removal (the writer never hands out a `seq` twice while the store is open, but the
    /// registry does not count on how `seq`s are chosen).
    func commit() {
        state.withLock { state in
            // A batch of publishes only adds: nothing to apply, and its additions need no hashing.
            guard state.journal.contains(where: { if case .removed = $0 { true } else { false } }) else {
                state.journal.removeAll(keepingCapacity: true)
                return
            }
            var addedLater = Set<Change>()
            for change in state.journal.reversed() {
                switch change {
                case .added:
                    addedLater.insert(change)
                case .removed(let key, let seq):
                    if !addedLater.contains(.added(key: key, seq: seq)) { state.live.remove(seq, at: key) }
                }
            }
            state.journal.removeAll(keepingCapacity: true)
        }
    }

    func abandon() {
        state.withLock { $0.journal.removeAll(keepingCapacity: true) }
    }

    /// One number for a queue and a data key. Two pairs may share it: callers check rows.
    private static func key(_ queue: String, _ dataKey: Int64) -> Int64 {
        DataFingerprint.of(queue) &* 0x100_0000_01b3 ^ dataKey
    }
}

extension Dictionary where Key == Int64, Value == TwinRegistry.Seqs {
    fileprivate typealias Seqs = TwinRegistry.Seqs

    /// Adds `seq` under `key`. `sorted` keeps the key's `seq`s in order: a new task's `seq` is
    /// the highest yet (`TaskSequence`), so that appends, and any other is put in its place.
    /// Loading adds in any order and sorts once, at the end.
    fileprivate mutating func add(_ seq: Int64, at key: Int64, sorted: Bool) {
        switch self[key] {
        case nil: self[key] = .one(seq)
        case .one(let other)?: self[key] = .many(!sorted || other < seq ? [other, seq] : [seq, other])
        case .many(var seqs)?:
            self[key] = nil  // lets `seqs` grow in place
            if !sorted || seq >= seqs[seqs.count - 1] {
                seqs.append(seq)
            } else {
                seqs.insert(seq, at: seqs.firstIndex(notBelow: seq))
            }
            self[key] = .many(seqs)
        }
    }

    /// Takes `seq` out from under `key` (every copy: one may have been added again before its
    /// removal was applied).
    fileprivate mutating func remove(_ seq: Int64, at key: Int64) {
        switch self[key] {
        case .one(seq)?: self[key] = nil
        case .many(var seqs)?:
            self[key] = nil
            let index = seqs.firstIndex(notBelow: seq)
            while index < seqs.count, seqs[index] == seq { seqs.remove(at: index) }
            self[key] = seqs.count > 1 ? .many(seqs) : seqs.first.map(Seqs.one)
        default: break
        }
    }
}

extension Deque<Int64> {
    /// In ascending order: where the first element not below `seq` is (binary search).
    fileprivate func firstIndex(notBelow seq: Int64) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < seq { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
