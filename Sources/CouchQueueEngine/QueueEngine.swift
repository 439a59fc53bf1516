import CouchQueueModel
import CouchQueueStore
import Logging

/// The queue's domain: routing, publishing, leasing, finishing, workers and interests.
///
/// The HTTP layer decodes a request, calls one method here and encodes the answer; the engine
/// validates, routes and calls the store, which owns every piece of state.
public final class QueueEngine: Sendable {
    let store: any QueueStore
    let options: EngineOptions
    let logger: Logger
    let router = InterestRouter()
    /// Workers waiting in `GET /task?wait=`; run it as a service.
    public let waitingWorkers: WaitingWorkers
    /// Publications answered early (`fastPost`); run it as a service.
    public let fastPosts: FastPostQueue

    public init(store: any QueueStore, options: EngineOptions = EngineOptions(), logger: Logger) {
        self.store = store
        self.options = options
        self.logger = logger
        self.fastPosts = FastPostQueue(logger: logger, maxBacklogBytes: options.fastPostBacklogBytes)
        self.waitingWorkers = WaitingWorkers(now: options.now)
    }

    /// Loads every queue's interests from the store: once before serving, after each change,
    /// and whenever another server may have changed them. Only interests that changed are
    /// compiled again, off the event loops (`InterestCompiling`). Answers the version it read:
    /// the interests loaded are at least that new.
    @discardableResult
    public func reloadInterests() async throws -> Int64 {
        // The version is read first: a change made meanwhile leaves the router a version behind.
        let version = try await store.interestsVersion()
        let known = router.current.byQueue
        var compiled: [String: CompiledInterests] = [:]
        for (queue, interests) in try await store.allInterests() {
            if let same = known[queue], same.source.isIdentical(to: interests) {
                compiled[queue] = same
                continue
            }
            do {
                compiled[queue] = try await InterestCompiling.load(interests)
            } catch {
                logger.error("stored interests no longer compile; the queue receives nothing", metadata: [
                    "couchqueue.queue": "\(queue)", "error": "\(error)",
                ])
            }
        }
        await InterestCompiling.whileLoading { [router, compiled] in router.replaceAll(compiled, version: version) }
        return version
    }

    /// Reloads, or keeps the interests loaded when the store cannot be read: a publish routed
    /// with them is then refused as stale and reloads before it is stored.
    func refreshInterests() async {
        do {
            try await reloadInterests()
        } catch {
            logger.warning("could not reload interests; keeping the ones loaded", metadata: ["error": "\(error)"])
        }
    }

    /// Answers when the store can be reached.
    public func health() async throws {
        try await store.ping()
    }

    /// A maintenance service over this engine's store, to run in the service group.
    public func maintenance() -> MaintenanceService {
        MaintenanceService(store: store, options: options, waitingWorkers: waitingWorkers, logger: logger)
    }

    /// The service that applies changes announced by other servers, to run in the service group.
    public func storeChanges() -> StoreChangesService {
        StoreChangesService(engine: self)
    }

    var now: Double { options.now() }
}
