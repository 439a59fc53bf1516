@testable import CouchQueueHTTP
import Synchronization
import Testing

/// Requests beyond the budget wait, in the order they asked, until what is held is given back.
@Suite struct MemoryBudgetTests {
    /// The reservations let in, in order, by their size.
    private final class Admissions: Sendable {
        private let sizes = Mutex<[Int]>([])
        var order: [Int] { sizes.withLock { $0 } }

        /// Reserves `bytes` in a task of its own, noting when it got in.
        func reserve(_ bytes: Int, from budget: MemoryBudget) -> Task<MemoryBudget.Reservation, Never> {
            Task {
                let reservation = await budget.reserve(bytes)
                sizes.withLock { $0.append(bytes) }
                return reservation
            }
        }
    }

    /// Time enough for a reservation that could get in to have done so.
    private func settle() async throws {
        try await Task.sleep(for: .milliseconds(100))
    }

    @Test func aRequestBeyondTheLimitWaitsUntilEnoughIsGivenBack() async throws {
        let budget = MemoryBudget(limit: 100)
        let admissions = Admissions()
        let first = await budget.reserve(60)
        let second = admissions.reserve(50, from: budget)
        try await settle()
        #expect(admissions.order.isEmpty && budget.held == 60)
        first.resize(to: 40)  // the answer came out smaller than reserved
        let admitted = await second.value
        #expect(budget.held == 90)
        admitted.release()
        first.release()
        #expect(budget.held == 0)
    }

    @Test func waitingRequestsGetInInTheOrderTheyAsked() async throws {
        let budget = MemoryBudget(limit: 100)
        let admissions = Admissions()
        let holder = await budget.reserve(95)
        let large = admissions.reserve(80, from: budget)
        try await settle()
        let small = admissions.reserve(5, from: budget)
        try await settle()
        #expect(admissions.order.isEmpty)  // the small one would fit, but waits behind the large
        holder.release()
        let reservations = [await large.value, await small.value]
        #expect(admissions.order == [80, 5] && budget.held == 85)
        reservations.forEach { $0.release() }
    }

    @Test func oneLargerThanTheWholeBudgetGoesAloneAndAReservationGivesBackWhenGone() async throws {
        let budget = MemoryBudget(limit: 100)
        let admissions = Admissions()
        var small: MemoryBudget.Reservation? = await budget.reserve(10)
        let huge = admissions.reserve(500, from: budget)
        try await settle()
        #expect(admissions.order.isEmpty && small != nil)
        small = nil  // dropped without `release()`, as when a request fails after reserving
        let alone = await huge.value
        #expect(budget.held == 500)
        alone.release()
        #expect(budget.held == 0)
    }
}
