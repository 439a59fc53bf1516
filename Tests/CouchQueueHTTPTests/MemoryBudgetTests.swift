import CouchQueueEngine
@testable import CouchQueueHTTP
import Synchronization
import Testing

/// Requests beyond the budget wait, in the order they asked, until what is held is given back
/// or their client leaves.
@Suite(.timeLimit(.minutes(1))) struct MemoryBudgetTests {
    /// The reservations let in, in order, by their size (0: the client left first).
    private final class Admissions: Sendable {
        private let sizes = Mutex<[Int]>([])
        var order: [Int] { sizes.withLock { $0 } }

        /// Reserves `bytes` in a task of its own, and waits until it is let in or in line.
        func reserve(
            _ bytes: Int, from budget: MemoryBudget, client: ClientPresence? = nil
        ) async throws -> Task<MemoryBudget.Reservation?, Never> {
            let (inLine, done) = (budget.waiting, order.count)
            let task = Task {
                let reservation = await budget.reserve(bytes, unlessLeaves: client)
                sizes.withLock { $0.append(reservation == nil ? 0 : bytes) }
                return reservation
            }
            while budget.waiting == inLine, order.count == done { try await Task.sleep(for: .milliseconds(5)) }
            return task
        }
    }

    @Test func aRequestBeyondTheLimitWaitsUntilEnoughIsGivenBack() async throws {
        let budget = MemoryBudget(limit: 100)
        let admissions = Admissions()
        let first = try #require(await budget.reserve(60, unlessLeaves: nil))
        let second = try await admissions.reserve(50, from: budget)
        #expect(budget.waiting == 1 && admissions.order.isEmpty && budget.held == 60)
        first.resize(to: 40)  // the answer came out smaller than reserved
        let admitted = try #require(await second.value)
        #expect(budget.held == 90 && budget.waiting == 0)
        admitted.release()
        first.release()
        #expect(budget.held == 0)
    }

    @Test func waitingRequestsGetInInTheOrderTheyAsked() async throws {
        let budget = MemoryBudget(limit: 100)
        let admissions = Admissions()
        let holder = try #require(await budget.reserve(95, unlessLeaves: nil))
        let large = try await admissions.reserve(80, from: budget)
        let small = try await admissions.reserve(5, from: budget)
        // The small one would fit beside what is held, but waits behind the large one.
        #expect(budget.waiting == 2 && admissions.order.isEmpty)
        holder.release()
        let reservations = [await large.value, await small.value]
        #expect(admissions.order == [80, 5] && budget.held == 85)
        reservations.forEach { $0?.release() }
    }

    @Test func oneLargerThanTheWholeBudgetGoesAlone() async throws {
        let budget = MemoryBudget(limit: 100)
        let admissions = Admissions()
        let small = try #require(await budget.reserve(10, unlessLeaves: nil))
        let huge = try await admissions.reserve(500, from: budget)
        #expect(budget.waiting == 1)
        small.release()
        let alone = try #require(await huge.value)
        #expect(budget.held == 500)
        alone.release()
        #expect(budget.held == 0)
    }

    @Test func aReservationGivesBackWhenItIsGone() async throws {
        let budget = MemoryBudget(limit: 100)
        var reservation = await budget.reserve(70, unlessLeaves: nil)
        #expect(budget.held == 70 && reservation != nil)
        reservation = nil  // dropped without `release()`, as when a request fails after reserving
        #expect(budget.held == 0)
    }

    @Test func aRequestWhoseClientLeavesStopsWaitingAndLetsTheNextIn() async throws {
        let budget = MemoryBudget(limit: 100)
        let admissions = Admissions()
        let holder = try #require(await budget.reserve(60, unlessLeaves: nil))
        let client = ClientPresence()
        let leaving = try await admissions.reserve(80, from: budget, client: client)
        let next = try await admissions.reserve(30, from: budget)
        #expect(budget.waiting == 2)
        client.leave()
        #expect(await leaving.value == nil)
        // Only the one that left held the next back: 60 + 30 fit.
        let admitted = try #require(await next.value)
        #expect(admissions.order == [0, 30] && budget.held == 90 && budget.waiting == 0)
        let gone = ClientPresence()
        gone.leave()
        let late = try await admissions.reserve(50, from: budget, client: gone)
        #expect(await late.value == nil && budget.waiting == 0)
        admitted.release()
        holder.release()
    }
}
