import CouchQueueStore
import Foundation
import Testing

@Suite struct RandomIDTests {
    @Test func idsNameTheirKindAndCarry128RandomBitsAfterTheTime() {
        let id = RandomID.make("t")
        #expect(id.hasPrefix("t_") && id.count == 2 + 10 + 26)
        #expect(id.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "2") && $0 <= UInt8(ascii: "7")) || $0 == UInt8(ascii: "_") })
        let ids = (0..<10_000).map { _ in RandomID.make("t") }
        #expect(Set(ids).count == ids.count)
    }

    @Test func laterIdsSortAfterEarlierOnes() async throws {
        let earlier = RandomID.make("t")
        try await Task.sleep(for: .milliseconds(3))
        let later = RandomID.make("t")
        #expect(earlier < later)
        #expect(earlier.prefix(12) < later.prefix(12))
    }
}
