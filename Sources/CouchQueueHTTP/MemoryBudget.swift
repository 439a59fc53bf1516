import CouchQueueEngine
import Synchronization

/// Bounds the memory that large answers hold at once, from the moment their content is read
/// until the kernel has taken their bytes: a request beyond the bound waits its turn.
///
/// A status's page of failed tasks is tens of megabytes of task data, read and encoded for a
/// request of a few bytes; a client that sends many of them and reads none of the answers would
/// otherwise hold all those answers in the server's memory until its connections time out.
/// Requests are let in in the order they asked; one larger than the whole budget goes alone.
/// A request whose client leaves while it waits stops waiting, so that clients which ask and
/// go leave nothing queued behind them.
final class MemoryBudget: Sendable {
    private struct Waiter {
        let id: Int
        let bytes: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var held = 0
        var waiting: [Waiter] = []
        var nextWaiter = 0
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Waits until `bytes` fit within the limit beside what is held, behind earlier requests;
    /// nil if `client` leaves first.
    func reserve(_ bytes: Int, unlessLeaves client: ClientPresence?) async -> Reservation? {
        let admitted = await withCheckedContinuation { continuation in
            let waiter = state.withLock { state -> Int? in
                guard state.waiting.isEmpty, fits(bytes, state) else {
                    defer { state.nextWaiter += 1 }
                    state.waiting.append(Waiter(id: state.nextWaiter, bytes: bytes, continuation: continuation))
                    return state.nextWaiter
                }
                state.held += bytes
                return nil
            }
            guard let waiter else { return continuation.resume(returning: true) }
            client?.onLeave { self.stopWaiting(waiter) }
        }
        client?.onLeave(nil)
        return admitted ? Reservation(budget: self, bytes: bytes) : nil
    }

    /// The bytes held now, and the requests waiting, for tests.
    var held: Int { state.withLock { $0.held } }
    var waiting: Int { state.withLock { $0.waiting.count } }

    private func fits(_ bytes: Int, _ state: State) -> Bool {
        state.held == 0 || state.held + bytes <= limit
    }

    private func stopWaiting(_ id: Int) {
        let waiter = state.withLock { state in
            state.waiting.firstIndex { $0.id == id }.map { state.waiting.remove(at: $0) }
        }
        waiter?.continuation.resume(returning: false)
        // The first in line may have been held back only by the one that left.
        adjust(by: 0)
    }

    /// Changes what a reservation holds by `change` bytes, then lets in the waiting requests
    /// that now fit, in order.
    fileprivate func adjust(by change: Int) {
        let admitted = state.withLock { state in
            state.held += change
            var admitted: [CheckedContinuation<Bool, Never>] = []
            while let first = state.waiting.first, fits(first.bytes, state) {
                state.held += first.bytes
                admitted.append(state.waiting.removeFirst().continuation)
            }
            return admitted
        }
        for continuation in admitted { continuation.resume(returning: true) }
    }

    /// Memory taken from a budget, given back by `release()` or when the reservation is gone.
    final class Reservation: Sendable {
        private let budget: MemoryBudget
        /// The bytes held; 0 once released.
        private let bytes: Mutex<Int>

        fileprivate init(budget: MemoryBudget, bytes: Int) {
            self.budget = budget
            self.bytes = Mutex(bytes)
        }

        /// Holds `newBytes` instead, once the answer's real size is known: it may be less than
        /// reserved, or more (a single task larger than the reservation).
        func resize(to newBytes: Int) {
            let change = bytes.withLock { bytes in
                defer { bytes = newBytes }
                return newBytes - bytes
            }
            if change != 0 { budget.adjust(by: change) }
        }

        func release() {
            resize(to: 0)
        }

        deinit {
            release()
        }
    }
}
