@testable import CouchQueueStoreSQLite
import Foundation
import Glibc
import Testing

@Suite struct BatchSchedulingTests {
    /// The scheduling class of a new thread, after `body` ran on it.
    private func policy(after body: @escaping @Sendable () -> Void) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread {
                body()
                continuation.resume(returning: sched_getscheduler(0))
            }.start()
        }
    }

    @Test func theCallingThreadAloneEntersTheBatchClass() async {
        #expect(await policy {} == SCHED_OTHER)
        #expect(await policy { BatchScheduling.enterForCurrentThread() } == 3)  // SCHED_BATCH
        #expect(sched_getscheduler(0) == SCHED_OTHER)
    }
}
