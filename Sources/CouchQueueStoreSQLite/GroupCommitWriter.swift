import GRDB
import Synchronization

/// Runs the writes that arrive while a commit is under way together, in one transaction, so
/// that concurrent requests share one commit and one disk sync (group commit).
///
/// A write that throws rolls back alone and fails alone, the others in the batch commit: in
/// its own savepoint, or without one where nothing it wrote needs undoing (`Savepoint`); one
/// that fails after writing without a savepoint fails the whole batch. A `.synced` write is not answered before the batch's
/// commit is synced to disk (`WALSyncer`); a `.logged` one may be answered once its commit is
/// in the log. Writes run on GRDB's serial writer queue, never on the caller's thread.
final class GroupCommitWriter: Sendable {
    /// A write waiting for the next batch: `run` applies it and returns how to answer its caller
    /// once the batch's commit is durable enough (or its sync failed), or throws what fails the
    /// whole batch (`Savepoint.FailsTheBatch`); `fail` answers it when the batch fails.
    private struct Job: Sendable {
        let durability: Durability
        let run: @Sendable (Database) throws(Savepoint.FailsTheBatch) -> WALSyncer.Answer
        let fail: @Sendable (any Error) -> Void
    }

    /// When a write's caller is answered.
    enum Durability: Sendable {
        /// Once the log holding its commit is synced to disk: a power loss cannot undo it.
        case synced
        /// Once its commit is in the log: the server's own crash cannot undo it, since the log is
        /// written before the commit returns, but a power loss may, until the log is synced (a
        /// sync starts at most about `WALSyncer.loggedSyncDelay` later). For what at-least-once
        /// delivery already allows to be undone: leases, their renewals and reports, whose loss
        /// only delivers a task again, and maintenance, which runs again.
        case logged
    }

    private struct Pending {
        var jobs: [Job] = []
        var flushScheduled = false
    }

    private let pool: DatabasePool
    private let syncer: WALSyncer
    private let checkpointer: WALCheckpointer
    private let journals: [any TransactionJournal]
    private let pending = Mutex(Pending())

    init(pool: DatabasePool, syncer: WALSyncer, checkpointer: WALCheckpointer, journals: [any TransactionJournal]) {
        self.pool = pool
        self.syncer = syncer
        self.checkpointer = checkpointer
        self.journals = journals
    }

    /// Runs `operation` atomically in the next batch and answers after that batch is as durable
    /// as asked. `need` says what undoes it if it fails (see `Savepoint`).
    ///
    /// The continuation is resumed once: by the answer `run` returns, which only a batch that
    /// commits passes on (`flush`), or by `fail`, for a batch that does not. Not a checked
    /// one, which allocates its own object to check that on every write.
    func write<T: Sendable>(
        _ need: Savepoint.Need = .savepoint, durability: Durability = .synced,
        _ operation: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await withUnsafeThrowingContinuation { continuation in
            let job = Job(
                durability: durability,
                run: { db throws(Savepoint.FailsTheBatch) in
                    do {
                        let value = try Savepoint.run(db, need, journals: self.journals, operation)
                        return { syncFailure in
                            if let syncFailure { continuation.resume(throwing: syncFailure) } else { continuation.resume(returning: value) }
                        }
                    } catch let failure as Savepoint.FailsTheBatch {
                        throw failure
                    } catch {
                        return { _ in continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            enqueue(job)
        }
    }

    /// Throws when the log could not be synced: the store can no longer promise durability.
    func check() throws {
        try syncer.check()
    }

    /// Waits until every write enqueued so far has committed and been synced, or failed, then
    /// closes the syncer's file (`check()` then tells whether its last sync failed). Nothing
    /// may be written afterwards.
    func close() async throws {
        try await pool.writeWithoutTransaction { _ in }
        await syncer.close()
    }

    private func enqueue(_ job: Job) {
        let mustSchedule = pending.withLock { pending in
            pending.jobs.append(job)
            defer { pending.flushScheduled = true }
            return !pending.flushScheduled
        }
        if mustSchedule {
            pool.asyncWriteWithoutTransaction { db in self.flush(db) }
        }
    }

    /// Takes every waiting job; jobs arriving meanwhile schedule the next flush behind this one.
    private func flush(_ db: Database) {
        BatchScheduling.enterForCurrentThread()
        let jobs = pending.withLock { pending in
            defer { pending = Pending() }
            return pending.jobs
        }
        var answers: [WALSyncer.Answer] = []
        answers.reserveCapacity(jobs.count)
        let changesBefore = db.totalChangesCount
        do {
            try run(jobs, db, into: &answers)
            for journal in journals { journal.commit() }
        } catch {
            if db.isInsideTransaction { try? db.rollback() }
            for journal in journals { journal.abandon() }
            let error = (error as? Savepoint.FailsTheBatch)?.cause ?? error
            for job in jobs { job.fail(error) }
            // Earlier batches may be waiting for this one's commit before their sync.
            syncer.committed([], changedRows: false, durability: .logged, writerBusy: writerBusy)
            return
        }
        let strictest: Durability = jobs.contains { $0.durability == .synced } ? .synced : .logged
        syncer.committed(answers, changedRows: db.totalChangesCount != changesBefore, durability: strictest, writerBusy: writerBusy)
        checkpointer.committed()
    }

    /// Runs the jobs in one transaction and commits it. `BEGIN` and `COMMIT` are prepared once
    /// per connection (GRDB's `inTransaction` prepares both for every batch, about 2 µs of a
    /// drained task's). A full disk, an I/O error or lack of memory can make SQLite roll the
    /// whole transaction back in the middle of a job: the jobs after it would then write
    /// outside any transaction, one statement at a time, so the batch fails there.
    private func run(_ jobs: [Job], _ db: Database, into answers: inout [WALSyncer.Answer]) throws {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        for job in jobs {
            answers.append(try job.run(db))
            guard db.isInsideTransaction else {
                throw DatabaseError(resultCode: .SQLITE_ABORT, message: "SQLite rolled the batch's transaction back after an error")
            }
        }
        try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
    }

    /// Whether jobs arrived during the flush under way: the next flush is then already queued.
    private var writerBusy: Bool {
        pending.withLock { $0.flushScheduled }
    }
}

/// In-memory state kept in step with the writer's transactions: what a job recorded is undone
/// with its savepoint, applied when the batch commits, dropped when the batch fails.
protocol TransactionJournal: Sendable {
    /// Where the journal stands, for `rollBack(to:)`.
    func mark() -> Int
    func rollBack(to mark: Int)
    func commit()
    func abandon()
}
