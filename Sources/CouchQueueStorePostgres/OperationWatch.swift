import CouchQueueStore
import PostgresNIO
import Synchronization

/// One operation's way to PostgreSQL, watched once a second on an event loop:
/// - while it waits for a connection, it is cancelled once `patience` has passed, and a
///   connection that comes just then is not used (`holding` throws);
/// - once it has one, it is waited for, unless the connection has been closed for a second
///   (two ticks): its caller is then answered, and the operation left to postgres-nio;
/// - or unless `timeout` passes first: the connection is then closed, so that a PostgreSQL cut
///   off by the network (which TCP would notice only after about 15 minutes) or a statement
///   stuck behind a lock does not hold the request and its connection without end.
/// The caller is answered once, by whichever comes first.
final class OperationWatch<T: Sendable>: Sendable {
    private enum Phase {
        case waiting(ticks: Int)
        case claimed(PostgresConnection, ticks: Int, closedTicks: Int)
        /// Done with its connection, which may already serve another operation: not to be closed.
        case released
        case answered
    }

    private struct State {
        var phase = Phase.waiting(ticks: 0)
        var cancelled = false
        var work: Task<Void, Never>?
        var ticker: RepeatedTask?
        var continuation: CheckedContinuation<T, any Error>?
        /// The answer, when it came before `start`.
        var early: Result<T, any Error>?

        /// Marks the caller answered, unless it was, and hands over what answering it takes.
        /// In the same critical section as the decision to answer, so that no `claim` slips in.
        mutating func answering(_ result: Result<T, any Error>) -> Answering? {
            if case .answered = phase { return nil }
            phase = .answered
            guard let continuation else {
                early = result
                return nil
            }
            defer { (self.continuation, ticker) = (nil, nil) }
            return Answering(continuation: continuation, ticker: ticker, result: result)
        }
    }

    private struct Answering {
        let continuation: CheckedContinuation<T, any Error>
        let ticker: RepeatedTask?
        let result: Result<T, any Error>

        func resume() {
            ticker?.cancel()
            continuation.resume(with: result)
        }
    }

    private let state = Mutex(State())

    /// Whether the operation got its connection, as long as its caller is not answered (once
    /// it is, nothing asks).
    var claimed: Bool {
        state.withLock { state in
            switch state.phase {
            case .claimed, .released: true
            case .waiting, .answered: false
            }
        }
    }

    /// `patience` and `timeout` count in whole seconds, at the watch's ticks: the caller is
    /// answered between `timeout` and a second more after the operation got its connection.
    func start(
        _ continuation: CheckedContinuation<T, any Error>, work: Task<Void, Never>, on loop: any EventLoop,
        patience: Duration, timeout: Duration
    ) {
        let limits = (patience: Int(patience.components.seconds), timeout: Int(timeout.components.seconds))
        let ticker = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            tick(patience: limits.patience, timeout: limits.timeout)
        }
        let (early, cancelled) = state.withLock { state in
            state.work = work
            if state.early == nil {
                state.continuation = continuation
                state.ticker = ticker
            }
            return (state.early, state.cancelled)
        }
        if cancelled { work.cancel() }
        if let early {
            ticker.cancel()
            continuation.resume(with: early)
        }
    }

    /// Runs `body` on `connection`, watched: call it as soon as the operation has its
    /// connection, and return from it before the connection goes back to the pool, where the
    /// watch must no longer close it.
    func holding<R>(_ connection: PostgresConnection, _ body: (PostgresConnection) async throws -> R) async throws -> R {
        try claim(connection)
        defer { release() }
        return try await body(connection)
    }

    private func claim(_ connection: PostgresConnection) throws {
        let claimed = state.withLock { state in
            guard case .waiting = state.phase else { return false }
            state.phase = .claimed(connection, ticks: 0, closedTicks: 0)
            return true
        }
        guard claimed else { throw CancellationError() }  // the caller was answered meanwhile
    }

    private func release() {
        state.withLock { state in
            if case .claimed = state.phase { state.phase = .released }
        }
    }

    func cancel() {
        let work = state.withLock { state in
            state.cancelled = true
            return state.work
        }
        work?.cancel()
    }

    /// Answers the caller, unless it has been answered.
    func answer(_ result: Result<T, any Error>) {
        state.withLock { $0.answering(result) }?.resume()
    }

    private enum Verdict {
        case wait, gaveUp(Answering?, Task<Void, Never>?), abandon, overdue(Answering?, PostgresConnection)
    }

    private func tick(patience: Int, timeout: Int) {
        let verdict = state.withLock { state -> Verdict in
            switch state.phase {
            case .waiting(let ticks) where ticks + 1 >= patience:
                let answering = state.answering(.failure(StoreUnavailable("no connection to PostgreSQL within \(patience) seconds")))
                return .gaveUp(answering, state.work)
            case .waiting(let ticks):
                state.phase = .waiting(ticks: ticks + 1)
                return .wait
            case .claimed(let connection, let ticks, let closedTicks) where connection.isClosed:
                state.phase = .claimed(connection, ticks: ticks + 1, closedTicks: closedTicks + 1)
                return closedTicks + 1 >= 2 ? .abandon : .wait
            case .claimed(let connection, let ticks, _) where ticks >= timeout:
                let answering = state.answering(
                    .failure(StoreUnavailable("PostgreSQL did not answer within \(timeout) seconds; the connection was closed")))
                return .overdue(answering, connection)
            case .claimed(let connection, let ticks, let closedTicks):
                state.phase = .claimed(connection, ticks: ticks + 1, closedTicks: closedTicks)
                return .wait
            case .released, .answered:
                return .wait
            }
        }
        switch verdict {
        case .wait: break
        case .gaveUp(let answering, let work):
            answering?.resume()
            work?.cancel()  // its wait for a connection ends at once
        case .abandon: answer(.failure(StoreUnavailable("the connection to PostgreSQL was lost, and its statement never answered")))
        case .overdue(let answering, let connection):
            // The close is begun before the caller is answered, so that a retry is less likely
            // to meet the statement still on its way. The statement fails then, or is never
            // answered (see above); the pool opens another connection.
            connection.close().whenComplete { _ in }
            answering?.resume()
        }
    }
}

extension OperationWatch {
    /// Runs `operation` under a watch of its own, which it receives to `claim` and `release`
    /// its connection. Errors become `StoreUnavailable` where PostgreSQL could not be reached
    /// (`PostgresStore.unavailability`).
    static func run(
        patience: Duration, timeout: Duration, _ operation: @escaping @Sendable (OperationWatch<T>) async throws -> T
    ) async throws -> T {
        let watch = OperationWatch<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let work = Task {
                    do {
                        watch.answer(.success(try await operation(watch)))
                    } catch {
                        watch.answer(.failure(PostgresStore.unavailability(of: error, claimed: watch.claimed) ?? error))
                    }
                }
                watch.start(continuation, work: work, on: PostgresClient.defaultEventLoopGroup.any(), patience: patience, timeout: timeout)
            }
        } onCancel: {
            watch.cancel()
        }
    }
}
