import Foundation

/// Behaviour knobs of the engine, with the defaults the README documents.
public struct EngineOptions: Sendable {
    /// How long a started task stays leased without a heartbeat.
    public var leaseTimeout: Double = 60
    /// How long a worker holding no task may stay silent before it is removed.
    public var workerTimeout: Double = 300
    /// How long succeeded tasks stay readable by id.
    public var retention: Double = 86_400
    /// The longest `wait` a lease request may ask for.
    public var maxLeaseWait: Double = 30
    /// How often a parked lease looks again without being woken: a wake-up can be missed (a
    /// lost notification, tasks scheduled before a restart).
    public var leaseRecheck: Double = 1
    /// How often maintenance (lease expiry, reaping, retention) runs.
    public var maintenanceInterval: Double = 0.25
    /// About the most memory the `fastPost` publications waiting to be stored may hold
    /// (`FastPostQueue`); the server sets it to `--connection-memory`.
    public var fastPostBacklogBytes = 64 << 20
    /// The clock; tests pass their own.
    public var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    public init() {}
}
