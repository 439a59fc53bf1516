import CouchQueueModel
import CouchQueueStore
import Logging

extension QueueEngine {
    /// Routes and stores a publication; answers once every copy is durable.
    public func publish(_ publication: Publication) async throws -> PublishResponse {
        try validate(publication)
        let id = RandomID.make("p")
        return PublishResponse(id: id, tasks: try await routeAndStore(publication, id: id))
    }

    /// Validates, then answers at once; routing and storing happen in the fast-post service.
    /// Data too costly to match is refused here, as without `fastPost`, not found out after
    /// the answer.
    public func publishLater(_ publication: Publication) throws -> FastPublishResponse {
        try validate(publication)
        try router.checkMatchingCost(publication.data)
        let id = RandomID.make("p")
        let work: FastPostQueue.Work = { _ = try await self.routeAndStore(publication, id: id) }
        try fastPosts.submit(work, publicationId: id, bytes: publication.heldBytes)
        return FastPublishResponse(id: id)
    }

    private func validate(_ publication: Publication) throws(EngineError) {
        guard !publication.publisher.isEmpty, publication.publisher.utf8.count <= 1024 else {
            throw EngineError(.badRequest, "publisher must be a non-empty string of at most 1024 bytes")
        }
        guard publication.data.objectValue != nil else {
            throw EngineError(.badRequest, "data must be a JSON object")
        }
        if let runAt = publication.runAt, !runAt.isFinite {
            throw EngineError(.badRequest, "runAt must be a finite unix time in seconds")
        }
    }

    /// Routes with the interests loaded and lets the store check, as it inserts, that no
    /// server changed them since; if one did, reloads and routes again. So an interest
    /// registered through any server applies to the next publish on every server.
    ///
    /// Once a reload has read a version, that version was committed after this publish began:
    /// routing at least that new holds every change acknowledged before, and the changes
    /// after are concurrent with it. From then on, the store checks only that the queues it
    /// goes to still have the interests that chose them, so that interests changing many
    /// times a second on other queues do not refuse every attempt.
    private func routeAndStore(_ publication: Publication, id: String) async throws -> [PublishedTask] {
        var readSinceStart: Int64?
        for _ in 0..<3 {
            if router.version == nil { readSinceStart = try await reloadInterests() }
            let routed = try await router.route(publication.data)
            let check: RoutingCheck? =
                if let readSinceStart, let version = routed.version, version >= readSinceStart {
                    .queuesHold(routed.storedInterests)
                } else {
                    routed.version.map { .routedAt($0) }
                }
            do {
                if !routed.queues.isEmpty {
                    return try await store(publication, queues: routed.queues, check: check, id: id)
                }
                // Nothing to insert, so nothing for the store to check as it inserts: ask.
                if case .queuesHold = check { return [] }
                if try await store.interestsVersion() == routed.version { return [] }
            } catch let error as StoreError where error.code == .staleInterests {}
            readSinceStart = try await reloadInterests()
        }
        throw StoreError.staleInterests(id)
    }

    private func store(_ publication: Publication, queues: [String], check: RoutingCheck?, id: String) async throws -> [PublishedTask] {
        let now = self.now
        let published = try await store.insertTasks(
            InsertTasksParams(
                publicationId: id, publisher: publication.publisher, data: publication.data.canonicalText,
                queues: queues, scope: publication.scope, singularlyEnqueue: publication.singularlyEnqueue,
                singularlyRun: publication.singularlyRun, runAt: publication.runAt ?? now, now: now,
                routingCheck: check))
        let keys = published.map { $0.workerId ?? $0.queue }
        if let runAt = publication.runAt, runAt > now {
            waitingWorkers.wake(keys, at: runAt)
        } else {
            waitingWorkers.wakeOne(keys)
        }
        return published
    }
}
