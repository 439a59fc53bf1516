import Synchronization

/// Bounds the memory that large answers hold at once, from the moment their content is read
/// until the kernel has taken their bytes: a request beyond the bound waits its turn.
///
/// A status's page of failed tasks is tens of megabytes of task data, read and encoded for a
/// request of a few bytes; a client that sends many of them and reads none of the answers would
/// otherwise hold all those answers in the server's memory until its connections time out.
/// Requests are let in in the order they asked; one larger than the whole budget goes alone.
final class MemoryBudget: Sendable {
    private struct State {
        var held = 0
        var waiting: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Waits until `bytes` fit within the limit beside what is held, behind earlier requests.
    func reserve(_ bytes: Int) async -> Reservation {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state in
                guard state.waiting.isEmpty, fits(bytes, state) else {
                    state.waiting.append((bytes, continuation))
                    return false
                }
                state.held += bytes
                return true
            }
            if granted { continuation.resume() }
        }
        return Reservation(budget: self, bytes: bytes)
    }

    /// The bytes held now, for tests.
    var held: Int {
        state.withLock { $0.held }
    }

    private func fits(_ bytes: Int, _ state: State) -> Bool {
        state.held == 0 || state.held + bytes <= limit
    }

    /// Changes what a reservation holds by `change` bytes, then lets in the waiting requests
    /// that now fit, in order.
    fileprivate func adjust(by change: Int) {
        let admitted = state.withLock { state in
            state.held += change
            var admitted: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiting.first, fits(first.bytes, state) {
                state.held += first.bytes
                admitted.append(state.waiting.removeFirst().continuation)
            }
            return admitted
        }
        for continuation in admitted { continuation.resume() }
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
            budget.adjust(by: change)
        }

        func release() {
            resize(to: 0)
        }

        deinit {
            release()
        }
    }
}
