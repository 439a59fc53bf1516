@testable import CouchQueueEngine
import Testing

@Suite struct ParkedWaitersTests {
    private struct Waiter: ParkedWaiter, Equatable {
        let name: String
        let keys: [String]
    }

    /// Ids are taken before parking, so two leases may park in the other order.
    @Test func theEarliestOfAKeyIsTheSmallestIdWhateverTheOrderOfParking() {
        var parked = ParkedWaiters<Waiter>()
        parked.park(Waiter(name: "third", keys: ["q"]), as: 3)
        parked.park(Waiter(name: "first", keys: ["q", "w1"]), as: 1)
        parked.park(Waiter(name: "other", keys: ["r"]), as: 2)
        parked.park(Waiter(name: "fourth", keys: ["q"]), as: 4)
        #expect(parked.takeEarliest(naming: "q")?.name == "first")
        #expect(parked.takeEarliest(naming: "w1") == nil, "taken through another of its keys")
        #expect(parked.takeEarliest(naming: "q")?.name == "third")
        #expect(parked.takeEarliest(naming: "q")?.name == "fourth")
        #expect(parked.takeEarliest(naming: "q") == nil)
        #expect(parked.count == 1 && parked.takeEarliest(naming: "r")?.name == "other")
    }

    @Test func aWaiterThatLeftIsPassedOverUnderEachOfItsKeys() {
        var parked = ParkedWaiters<Waiter>()
        parked.park(Waiter(name: "gone", keys: ["q", "r"]), as: 1)
        parked.park(Waiter(name: "q", keys: ["q"]), as: 2)
        parked.park(Waiter(name: "r", keys: ["r"]), as: 3)
        #expect(parked.take(1)?.name == "gone")
        #expect(parked.take(1) == nil)
        #expect(parked.takeEarliest(naming: "r")?.name == "r")
        #expect(parked.takeEarliest(naming: "q")?.name == "q")
        #expect(parked.count == 0 && parked.footprint == (0, 0))
    }

    @Test func wakingSeveralKeysTakesEachWaiterOnceAndNoOtherKeys() {
        var parked = ParkedWaiters<Waiter>()
        parked.park(Waiter(name: "both", keys: ["q", "r"]), as: 1)
        parked.park(Waiter(name: "twice", keys: ["q", "q"]), as: 2)
        parked.park(Waiter(name: "r", keys: ["r", "w"]), as: 3)
        parked.park(Waiter(name: "other", keys: ["s"]), as: 4)
        #expect(parked.takeAll(naming: ["q", "r", "q"]).map(\.name) == ["both", "twice", "r"])
        #expect(parked.takeEarliest(naming: "w") == nil)
        #expect(parked.take(parked.byID.keys.sorted()).map(\.name) == ["other"])
        #expect(parked.footprint == (0, 0))
    }

    /// Long polls on an idle queue leave at their deadlines, never woken through it: their
    /// entries under it must not pile up behind the one waiter that stays.
    @Test func entriesOfWaitersThatLeftDoNotPileUp() {
        var parked = ParkedWaiters<Waiter>()
        parked.park(Waiter(name: "stays", keys: ["idle"]), as: 0)
        for id in 1...10_000 as ClosedRange<UInt64> {
            parked.park(Waiter(name: "poll", keys: ["idle", "w\(id)"]), as: id)
            #expect(parked.take(id)?.name == "poll")
        }
        #expect(parked.count == 1)
        #expect(parked.footprint.keys == 1, "no heap is kept for a key no waiter names")
        #expect(parked.footprint.entries <= 3, "one live entry, and at most two of waiters gone")
        #expect(parked.takeEarliest(naming: "idle")?.name == "stays")
    }
}
