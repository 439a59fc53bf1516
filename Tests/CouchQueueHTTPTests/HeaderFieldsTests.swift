@testable import CouchQueueHTTP
import NIOHTTP1
import Testing

@Suite struct HeaderFieldsTests {
    @Test func aRepeatedFieldsValuesAreJoinedInOrderWhateverTheNamesCase() {
        let headers: HTTPHeaders = ["Origin": "a", "Host": "h", "ORIGIN": "", "origin": "c"]
        #expect(headers.joinedValues("origin") == "a, , c")
        #expect(headers.joinedValues("host") == "h")
        #expect(headers.joinedValues("referer") == nil)
    }

    /// As many as NIO's head limits let through.
    @Test func thousandsOfRepeatsAreAllJoined() {
        let headers = HTTPHeaders(Array(repeating: ("Origin", "x"), count: 13_000))
        #expect(headers.joinedValues("origin") == Array(repeating: "x", count: 13_000).joined(separator: ", "))
    }
}
