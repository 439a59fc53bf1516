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

    @Test func aKeyOfTheStoresOwnComesBackOutOfItsId() {
        for key: UInt64 in [0, 1, 31, 32, 1 << 40, UInt64(Int64.max), .max] {
            let id = RandomID.make("t", key: key, keyCharacters: 13)
            #expect(id.count == 2 + 13 + 26)
            #expect(RandomID.key(of: id, prefix: "t", keyCharacters: 13) == key)
        }
        let id = RandomID.make("t", key: 7, keyCharacters: 13)
        #expect(RandomID.key(of: id, prefix: "w", keyCharacters: 13) == nil, "another kind's prefix")
        #expect(RandomID.key(of: RandomID.make("t"), prefix: "t", keyCharacters: 13) == nil, "another length")
        #expect(RandomID.key(of: String(id.dropLast()) + "1", prefix: "t", keyCharacters: 13) == nil, "not base 32")
        #expect(RandomID.key(of: "t-" + id.dropFirst(2), prefix: "t", keyCharacters: 13) == nil, "no separator")
        #expect(RandomID.key(of: "t_" + String(repeating: "z", count: 39), prefix: "t", keyCharacters: 13) == nil, "past 64 bits")
    }
}
