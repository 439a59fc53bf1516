import CouchQueueStore
import Logging
import ServiceLifecycle

/// Applies what other servers sharing the store announce: interests registered through any
/// server route the next publish on this one, and a task published anywhere wakes the
/// workers waiting here. The server's service group runs it.
public struct StoreChangesService: Service {
    let engine: QueueEngine

    public func run() async throws {
        for await change in engine.store.changes().cancelOnGracefulShutdown() {
            switch change {
            case .interestsChanged:
                await engine.refreshInterests()
            case .tasksAvailable(let keys):
                engine.waitingWorkers.wake(keys)
            case .tasksDue(let keys, let time):
                engine.waitingWorkers.wake(keys, at: time)
            case .resync:
                await engine.refreshInterests()
                engine.waitingWorkers.wakeAll()
            }
        }
        // A store no other server shares announces nothing: stay until shutdown.
        try? await gracefulShutdown()
    }
}
