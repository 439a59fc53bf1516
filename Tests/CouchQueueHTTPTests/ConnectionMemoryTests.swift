@testable import CouchQueueHTTP
import Foundation
import Logging
import Synchronization
import Testing

/// Past the limit, connections are closed, most bytes held longest first, until the others
/// hold no more; what a connection holds is given back when it is gone.
@Suite struct ConnectionMemoryTests {
    /// Accounts whose closes are counted instead of closing anything.
    private final class Connections: Sendable {
        let memory: ConnectionMemory
        private let closes = Mutex<[String: Int]>([:])

        init(limit: Int) {
            memory = ConnectionMemory(limit: limit, logger: Logger(label: "test"))
        }

        func open(_ name: String) -> ConnectionMemory.Account {
            memory.open { self.closes.withLock { $0[name, default: 0] += 1 } }
        }

        var closed: [String: Int] { closes.withLock { $0 } }
    }

    /// Long enough for a stalled client's bytes to outweigh twenty times as many just sent.
    private func stall() {
        Thread.sleep(forTimeInterval: 0.05)
    }

    @Test func whatConnectionsHoldAddsUpAndIsGivenBackWhenTheyAreGone() {
        let connections = Connections(limit: 100)
        let (a, b) = (connections.open("a"), connections.open("b"))
        a.change(by: 30, progress: true)
        b.change(by: 50, progress: true)
        a.change(by: -10, progress: false)
        #expect(connections.memory.held == 70 && a.held == 20 && b.held == 50)
        b.connectionClosed()
        #expect(connections.memory.held == 20)
        // A write that fails once the connection is gone gives back nothing more.
        b.change(by: -50, progress: false)
        b.connectionClosed()
        #expect(connections.memory.held == 20 && connections.closed.isEmpty)
    }

    @Test func aClientThatSendsPromptlyIsClosedAfterOneThatStalledWithLess() {
        let connections = Connections(limit: 100)
        let (stalled, prompt) = (connections.open("stalled"), connections.open("prompt"))
        stalled.change(by: 10, progress: true)
        stall()
        prompt.change(by: 95, progress: true)  // 105, and it holds the most
        #expect(connections.closed == ["stalled": 1])
        // Until that close lands, what it holds counts as gone: 100 held by the others.
        prompt.change(by: 5, progress: true)
        #expect(connections.closed == ["stalled": 1] && connections.memory.closed == 1)
        stalled.connectionClosed()
        #expect(connections.memory.held == 100)
    }

    @Test func asManyAreClosedAsItTakes() {
        let connections = Connections(limit: 100)
        let (first, second, prompt) = (connections.open("first"), connections.open("second"), connections.open("prompt"))
        first.change(by: 20, progress: true)
        second.change(by: 20, progress: true)
        stall()
        prompt.change(by: 95, progress: true)  // 135: closing one of the stalled leaves 115
        #expect(connections.closed == ["first": 1, "second": 1])
    }

    @Test func amongConnectionsStalledAlikeTheOneHoldingTheMostIsClosed() {
        let connections = Connections(limit: 100)
        let (small, large) = (connections.open("small"), connections.open("large"))
        small.change(by: 30, progress: true)
        large.change(by: 60, progress: true)
        stall()
        small.change(by: 20, progress: false)  // an answer the client does not read: 110
        #expect(connections.closed == ["large": 1])
    }

    /// Thousands of connections past the limit: those that must close are chosen in one look,
    /// and what they go on receiving until their closes land counts as gone, without looking
    /// through the connections again; only the others passing the limit do.
    @Test func manyConnectionsAreRankedOnceAndThoseClosingAreNotLookedThroughAgain() {
        let connections = Connections(limit: 20_000)
        let stalled = (0..<1_000).map { connections.open("stalled-\($0)") }
        for account in stalled { account.change(by: 20, progress: true) }
        stall()
        stall()
        let prompt = connections.open("prompt")
        prompt.change(by: 1_000, progress: true)  // 21,000: fifty stalled ones must go
        #expect(connections.closed.count == 50 && connections.memory.looks == 1)
        // The decoder goes on with what the ones closing had read: 250 bytes more.
        for index in stalled.indices where connections.closed["stalled-\(index)"] != nil {
            stalled[index].change(by: 5, progress: false)
        }
        #expect(connections.closed.count == 50 && connections.memory.looks == 1)
        prompt.change(by: 1, progress: true)
        #expect(connections.closed.count == 51 && connections.memory.looks == 2)
        #expect(connections.closed.values.allSatisfy { $0 == 1 } && connections.closed["prompt"] == nil)
        // Once closed, they count no more, as gone or as closing: 19,981 held by the others.
        for index in stalled.indices where connections.closed["stalled-\(index)"] != nil { stalled[index].connectionClosed() }
        prompt.change(by: 20, progress: true)
        #expect(connections.closed.count == 52 && connections.memory.looks == 3)
    }

    @Test func aConnectionAloneOverTheLimitIsClosed() {
        let connections = Connections(limit: 100)
        let a = connections.open("a")
        a.change(by: 101, progress: true)
        #expect(connections.closed == ["a": 1])
        a.connectionClosed()
        #expect(connections.memory.held == 0)
    }
}
