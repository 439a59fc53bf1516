@testable import CouchQueueHTTP
import Logging
import Synchronization
import Testing

/// Past the limit, the connection holding the most is closed, once; what a connection holds
/// is given back when it is gone.
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

    @Test func whatConnectionsHoldAddsUpAndIsGivenBackWhenTheyAreGone() {
        let connections = Connections(limit: 100)
        let (a, b) = (connections.open("a"), connections.open("b"))
        a.change(by: 30)
        b.change(by: 50)
        a.change(by: -10)
        #expect(connections.memory.held == 70 && a.held == 20 && b.held == 50)
        b.connectionClosed()
        #expect(connections.memory.held == 20)
        // A write that fails once the connection is gone gives back nothing more.
        b.change(by: -50)
        b.connectionClosed()
        #expect(connections.memory.held == 20 && connections.closed.isEmpty)
    }

    @Test func pastTheLimitTheConnectionHoldingTheMostIsClosedOnce() {
        let connections = Connections(limit: 100)
        let (a, b, c) = (connections.open("a"), connections.open("b"), connections.open("c"))
        a.change(by: 30)
        b.change(by: 60)
        c.change(by: 10)
        #expect(connections.closed.isEmpty)
        c.change(by: 5)  // 105: b, the largest, not c, which passed the limit
        #expect(connections.closed == ["b": 1])
        // Until its close lands, what b holds counts as gone: 45 held by the others.
        c.change(by: 40)
        #expect(connections.closed == ["b": 1] && connections.memory.closed == 1)
        b.connectionClosed()
        #expect(connections.memory.held == 85)
        c.change(by: 20)  // 105 again, and c now holds the most
        #expect(connections.closed == ["b": 1, "c": 1])
    }

    @Test func aConnectionAloneOverTheLimitIsClosed() {
        let connections = Connections(limit: 100)
        let a = connections.open("a")
        a.change(by: 101)
        #expect(connections.closed == ["a": 1])
        a.connectionClosed()
        #expect(connections.memory.held == 0)
    }
}
