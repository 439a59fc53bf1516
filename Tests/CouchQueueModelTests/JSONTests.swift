import CouchQueueModel
import Foundation
import Testing

@Suite struct JSONTests {
    private func parse(_ text: String, maxDepth: Int = 64) throws -> JSONValue {
        try JSONValue.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5, 1e3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(value == .object([
            "a": .array([.int(1), .double(-2.5), .double(1000), .bool(true), .bool(false), .null]),
            "b": .object(["c": .string("d")]),
            "e": .string(""),
        ]))
    }

    @Test func keepsLargeIntegersExact() throws {
        #expect(try parse("12345678901234567") == .int(12_345_678_901_234_567))
        #expect(try parse("12345678901234567").canonicalText == "12345678901234567")
    }

    /// Beyond `Int64` they were doubles, and `18446744073709551615` came back as `1.8446744073709552e+19`.
    @Test(arguments: ["18446744073709551615", "-9223372036854775809", "123456789012345678901234567890"])
    func keepsIntegersBeyondInt64AsTheirDigits(_ literal: String) throws {
        #expect(try parse(literal) == .largeInteger(literal))
        #expect(try parse("{\"n\":\(literal)}").canonicalText == "{\"n\":\(literal)}")
    }

    @Test func int64sOwnRangeStaysInt() throws {
        #expect(try parse("9223372036854775807") == .int(.max))
        #expect(try parse("-9223372036854775808") == .int(.min))
        #expect(try parse("-0").canonicalText == "0")
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
    }

    /// Strings that are ASCII only are taken as they are; the others are checked as UTF-8,
    /// with or without escapes.
    @Test func takesUTF8TextAndRefusesBytesThatAreNotUTF8() throws {
        #expect(try parse(#"{"ascii":"plain","é":"né😀","escaped":"é\n"}"#)
            == .object(["ascii": .string("plain"), "é": .string("né😀"), "escaped": .string("é\n")]))
        let quote = UInt8(ascii: "\"")
        for text: [UInt8] in [[0xC3, 0x28], [0x61, 0xFF], [0xED, 0xA0, 0x80], [0x5C, 0x6E, 0xC3]] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONValue.parse([quote] + text + [quote], maxDepth: 4) }
        }
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "tru", "nul", "\"a", "'a'",
        "{a:1}", "[1] [2]", "\"\u{01}\"", #""\x""#, #""\ud800""#, "NaN", "1e999", "\"\\u12\"",
    ])
    func refusesWhatRFC8259Refuses(_ text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
    }

    @Test func aRepeatedNameKeepsItsLastValueButNamesThatOnlyLookEqualAreRefused() throws {
        #expect(try parse(#"{"a": 1, "a": 2}"#) == .object(["a": .int(2)]))
        #expect(throws: JSONParseError.self) { try parse(#"{"\u00e9": 1, "e\u0301": 2}"#) }
    }

    /// However its members arrive, an object keeps them sorted by name, each name once, and
    /// finds them by name.
    @Test func objectsKeepTheirMembersSortedAndFindThemByName() throws {
        let names = (0..<50).map { "k\($0)" }
        let text = "{" + names.shuffled().map { "\"\($0)\": \"\($0)\"" }.joined(separator: ",") + "}"
        let members = try #require(try parse(text).objectValue)
        #expect(members.map(\.key) == names.sorted())
        #expect(names.allSatisfy { members[$0] == .string($0) })
        #expect(members["k50"] == nil && members[""] == nil)
        let built = JSONObject(Dictionary(uniqueKeysWithValues: names.map { ($0, JSONValue.string($0)) }))
        #expect(members == built && members.hashValue == built.hashValue)

        var edited = members
        (edited["k7"], edited["a"], edited["k9"], edited["absent"]) = (.int(7), .null, nil, nil)
        #expect(edited.count == 50 && edited.first?.key == "a" && edited["k7"] == .int(7) && edited["k9"] == nil)
        #expect(edited.map(\.key) == edited.map(\.key).sorted() && edited != members)
        // Few members are sorted by insertion, many by a general sort: both keep the last of a
        // repeated name and refuse names equal only under normalization.
        #expect(try parse(#"{"b": 1, "a": 2, "b": 3}"#) == .object(["a": .int(2), "b": .int(3)]))
        let repeated = try #require(try parse(String(text.dropLast()) + #", "k3": "last"}"#).objectValue)
        #expect(repeated.count == 50 && repeated["k3"] == .string("last") && repeated["k4"] == .string("k4"))
        #expect(throws: JSONParseError.self) { try parse(String(text.dropLast()) + #", "\u00e9": 1, "e\u0301": 2}"#) }
    }

    @Test func refusesNestingPastTheLimitWithoutRecursingThere() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try parse(deep) }
        #expect(try parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) != .null)
        #expect(throws: JSONParseError.self) { try parse(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) }
    }

    @Test func canonicalTextSortsKeysAndIsCompact() throws {
        #expect(try parse(#"{"b": 1, "a": {"d": [1, 2], "c": "x"}}"#).canonicalText == #"{"a":{"c":"x","d":[1,2]},"b":1}"#)
        #expect(JSONValue.string("q\"\\\n\u{01}/é").canonicalText == #""q\"\\\n\u0001/é""#)
        #expect(JSONValue.string("\t\rab\u{1F}").canonicalText == #""\t\rab\u001f""#)
        #expect(JSONValue.string("").canonicalText == #""""#)
    }

    @Test func canonicalTextReadsBackAsTheSameValue() throws {
        let value = try parse(#"{"x": [0.1, 1.0, -0.0, 1e-7, 3.14159, "ü\u0000"], "y": {"z": null}}"#)
        #expect(try parse(value.canonicalText) == value)
    }

    /// The shortest text that reads back exactly, and `.0` on whole ones: as Swift writes them.
    @Test(arguments: [0.1, 1.0, -0.0, 1e-7, 1_764_816_000.123_456_7, 1_764_816_000, 1e300, 5e-324, -2.5e-15])
    func doublesAreWrittenAsSwiftDescribesThem(_ double: Double) {
        #expect(JSONValue.double(double).canonicalText == double.description)
    }

    @Test func encoderWritesTheWireShapesWithNulls() throws {
        let task = QueueTask(
            id: "t_1", publicationId: "p_1", queue: "q", workerId: nil, publisher: "me", data: CanonicalJSON(.object(["k": .int(1)])),
            scope: .any, singularlyEnqueue: false, singularlyRun: true, state: .queued, attempts: 0, runAt: 1.5,
            createdAt: 1.5, startedAt: nil, finishedAt: nil, failReason: nil)
        let bytes = try JSONValueEncoder.encode(TaskResponse(task: task))
        let decoded = try JSONDecoder().decode(TaskResponse.self, from: Data(bytes))
        #expect(decoded.task == task)
        let object = try parse(String(decoding: bytes, as: UTF8.self)).objectValue?["task"]?.objectValue
        #expect(object?["workerId"] == .null && object?["failReason"] == .null && object?.count == 16)
        #expect(try JSONValueEncoder.encode(TaskResponse(task: nil)) == Array(#"{"task":null}"#.utf8))
    }

    @Test func encoderLeavesOutAbsentStatusSections() throws {
        var status = StatusResponse()
        status.queue = QueueSummary(name: "q", length: 1, scheduled: 0, started: 2)
        #expect(try JSONValueEncoder.encode(status) == Array(#"{"queue":{"length":1,"name":"q","scheduled":0,"started":2}}"#.utf8))
    }
}
