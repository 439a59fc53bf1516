@testable import CouchQueueEngine
import Testing

@Suite struct DueWakeupsTests {
    @Test func aWakeupIsTakenOnceItsSlotHasEndedNeverBefore() {
        var wakeups = DueWakeups(resolution: 0.05)
        wakeups.add(["q"], at: 1_000.01)
        #expect(wakeups.takeDue(at: 1_000.01 - 0.001).isEmpty)
        #expect(wakeups.takeDue(at: 1_000.01).isEmpty, "the slot ends at 1000.05")
        #expect(wakeups.takeDue(at: 1_000.06) == ["q"])
        #expect(wakeups.takeDue(at: 2_000).isEmpty, "taken once")
    }

    @Test func wakeupsInOneSlotAreKeptOnceAndLaterSlotsWait() {
        var wakeups = DueWakeups(resolution: 0.05)
        for i in 0..<1_000 { wakeups.add(["q", "w\(i % 3)"], at: 10.001 + Double(i) * 0.00001) }
        wakeups.add(["later"], at: 20)
        #expect(wakeups.takeDue(at: 10.1) == ["q", "w0", "w1", "w2"])
        #expect(wakeups.takeDue(at: 20.1) == ["later"])
    }

    /// Past its capacity the latest slot is dropped: its waiters fall back on their re-check.
    @Test func pastCapacityTheLatestSlotIsDropped() {
        var wakeups = DueWakeups(resolution: 0.1, capacity: 2)
        wakeups.add(["a"], at: 1)
        wakeups.add(["b"], at: 2)
        wakeups.add(["c"], at: 3)
        wakeups.add(["z"], at: 0.5)
        wakeups.add(["a2"], at: 1)
        #expect(wakeups.takeDue(at: 100) == ["z", "a", "a2"])
    }

    /// Any finite time is accepted: a slot number is a `Double`, never converted to an integer.
    @Test func farTimesAreKept() {
        var wakeups = DueWakeups(resolution: 0.05)
        wakeups.add(["far"], at: 1e300)
        #expect(wakeups.takeDue(at: 1e299).isEmpty)
        #expect(wakeups.takeDue(at: .greatestFiniteMagnitude) == ["far"])
    }
}
