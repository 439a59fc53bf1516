import CouchQueueEngine

/// Limits of the HTTP layer, with the defaults the README documents.
public struct HTTPOptions: Sendable {
    /// The largest request body accepted (413 above it).
    public var bodyLimit = 1_048_576
    /// The deepest JSON nesting accepted in a body or a JSON parameter.
    public var maxJSONDepth = 64
    /// How long a connection may wait for a request to arrive in full before it is closed.
    public var idleTimeout: Double = 60
    /// How long a request's body may take to arrive once its headers have.
    public var bodyReadTimeout: Double = 30
    /// The most bytes of data and fail reasons a status's page of failed tasks holds; four
    /// such pages at most are in memory at once (`StatusController`).
    public var statusPageBytes = StatusQuery().failedMaxBytes
    /// The most bytes all connections together may hold in request bodies and unsent answers
    /// before the one holding the most is closed (`ConnectionMemory`).
    public var connectionMemory = ConnectionMemory.defaultLimit
    /// Host names under which browsers reach the server, besides IP addresses and `localhost`
    /// (`CrossSiteGuard`).
    public var publicHosts: [String] = []

    public init() {}
}
