import CouchQueueModel
import CouchQueueStore
import Synchronization

/// Decides which queues want a task: every queue's compiled interests, as loaded from the
/// store, with the store's interests version they are at least as new as.
///
/// The store refuses a publish routed at any version but its current one, so interests newer
/// than their version only cost a reload; older ones would route wrongly unnoticed. A load is
/// therefore applied only over an older one: loads finishing out of order (two requests each
/// reloading after their own change) cannot put back interests a later load replaced.
final class InterestRouter: Sendable {
    struct Loaded {
        var byQueue: [String: CompiledInterests] = [:]
        var table = RoutingTable([:])
        /// nil until the first load.
        var version: Int64?
    }

    private let loaded = Mutex(Loaded())
    private let costlyMatching: CostlyMatching

    init(costlyMatching: CostlyMatching = CostlyMatching()) {
        self.costlyMatching = costlyMatching
    }

    /// Builds the routing table, then applies it unless newer interests are loaded already.
    /// Building over many patterns takes milliseconds: the engine calls this off the event
    /// loops (`InterestCompiling.whileLoading`).
    func replaceAll(_ interests: [String: CompiledInterests], version: Int64) {
        let table = RoutingTable(interests)
        loaded.withLock { current in
            if current.version.map({ version > $0 }) ?? true { current = Loaded(byQueue: interests, table: table, version: version) }
        }
    }

    /// The interests loaded, and their version.
    var current: Loaded {
        loaded.withLock { $0 }
    }

    /// nil until the first load; read on every publish without copying the interests.
    var version: Int64? {
        loaded.withLock { $0.version }
    }

    /// The most matching work one publication may cost, in VM steps (about 0.4 s of one
    /// core): linear-time matching still multiplies a long field by a large pattern.
    static let workBudget = 200_000_000

    /// Matching work above this (about 0.2 ms) leaves the calling thread, an event loop that
    /// other connections share, for `costlyMatching`.
    static let inlineWorkLimit = 100_000

    /// Refuses data whose matching would exceed the budget, without matching it.
    func checkMatchingCost(_ data: JSONValue) throws(EngineError) {
        _ = try plan(data, loaded.withLock { $0.table })
    }

    /// The interested queues, by name, with the interests that chose them and their version.
    /// Refuses data whose matching would exceed the budget before matching any of it.
    func route(_ data: JSONValue) async throws(EngineError) -> Routed {
        let (table, version, interests) = loaded.withLock { ($0.table, $0.version, $0.byQueue) }
        let (searches, work) = try plan(data, table)
        let match: @Sendable () -> [String] = { [searches] in table.interested(searches) }
        guard work > Self.inlineWorkLimit else { return Routed(queues: match(), version: version, interests: interests) }
        return Routed(queues: try await costlyMatching.run(work: work, match), version: version, interests: interests)
    }

    struct Routed {
        let queues: [String]
        let version: Int64?
        /// Every queue's interests as loaded when routing chose `queues`.
        let interests: [String: CompiledInterests]

        /// The chosen queues' interests, as stores keep them (`RoutingCheck.queuesHold`).
        var storedInterests: [String: String] {
            Dictionary(queues.compactMap { queue in interests[queue].map { (queue, StoredText.interests($0.source)) } }) { first, _ in first }
        }
    }

    private func plan(_ data: JSONValue, _ table: RoutingTable) throws(EngineError) -> (searches: [RoutingTable.Search], work: Int) {
        guard let plan = table.plan(data, budget: Self.workBudget) else {
            throw EngineError(.badRequest, "data is too large to match against the registered interests: shorten its long fields")
        }
        return plan
    }
}
