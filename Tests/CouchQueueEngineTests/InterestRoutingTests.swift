@testable import CouchQueueEngine
import CouchQueueModel
import Testing

@Suite struct InterestRoutingTests {
    private func interests(_ fields: [String: String]) throws -> CompiledInterests {
        try CompiledInterests(.fields(fields))
    }

    /// Whether a queue with these interests routes `data`.
    private func routes(_ compiled: CompiledInterests, _ data: JSONValue) throws -> Bool {
        let router = InterestRouter()
        router.replaceAll(["q": compiled], version: 1)
        return try router.route(data).queues == ["q"]
    }

    private let data: JSONValue = .object([
        "email": .string("evan@example.com"),
        "user": .object(["id": .int(42), "tags": .array([.string("vip")])]),
        "nothing": .null,
        "flag": .bool(true),
    ])

    @Test func everythingMatchesAnyDataEvenEmpty() throws {
        #expect(try routes(CompiledInterests(.everything), .object([:])))
    }

    @Test func anyOneFieldMatchingIsEnough() throws {
        #expect(try routes(interests(["email": "@example", "missing": "x"]), data))
        #expect(try !routes(interests(["email": "@other", "missing": "x"]), data))
    }

    @Test func searchIsUnanchoredUnlessThePatternAnchors() throws {
        #expect(try routes(interests(["email": "example"]), data))
        #expect(try !routes(interests(["email": "^example"]), data))
    }

    @Test func dottedPathsReachIntoNestedObjects() throws {
        #expect(try routes(interests(["user.id": "^42$"]), data))
        #expect(try !routes(interests(["user.name": "."]), data))
    }

    @Test func nonStringsMatchAsCompactJSON() throws {
        #expect(try routes(interests(["user.tags": #"^\["vip"\]$"#]), data))
        #expect(try routes(interests(["flag": "^true$"]), data))
        #expect(try routes(interests(["user": #"^\{"id":42,"#]), data))
    }

    @Test func nullAndMissingFieldsNeverMatch() throws {
        #expect(try !routes(interests(["nothing": ".*"]), data))
        #expect(try !routes(interests(["absent": ".*"]), data))
        #expect(try !routes(interests(["email": ".*"]), .object([:])))
    }

    @Test(arguments: [
        (["": "x"], "field name"),
        (["a..b": "x"], "dotted path"),
        (["email": "(a"], "email"),
        (["email": #"(a)\1"#], "email"),
    ])
    func invalidInterestsNameTheField(_ fields: [String: String], _ named: String) {
        #expect {
            try CompiledInterests(.fields(fields))
        } throws: { error in
            (error as? EngineError)?.code == .invalidInterest && "\(error)".contains(named)
        }
    }

    @Test func anEmptyObjectIsRefused() {
        #expect(throws: EngineError.self) { try CompiledInterests(.fields([:])) }
    }

    @Test func routerAnswersEveryInterestedQueueByName() throws {
        let router = InterestRouter()
        let b = try interests(["email": "@"])
        router.replaceAll(["b": b, "a": try CompiledInterests(.everything), "c": try interests(["email": "^x"])], version: 1)
        #expect(try router.route(data) == (["a", "b"], 1))
        router.replaceAll(["b": b], version: 2)
        #expect(try router.route(data) == (["b"], 2))
    }

    /// Two requests each reload after their own change; the one that read the older state may
    /// finish last. Its load must not replace the newer one.
    @Test func anOlderLoadDoesNotReplaceANewerOne() throws {
        let router = InterestRouter()
        router.replaceAll(["new": try CompiledInterests(.everything)], version: 7)
        router.replaceAll(["old": try CompiledInterests(.everything)], version: 6)
        router.replaceAll(["same": try CompiledInterests(.everything)], version: 7)
        #expect(try router.route(data) == (["new"], 7))
    }

    @Test func dataTooCostlyToMatchIsRefusedBeforeMatching() throws {
        let router = InterestRouter()
        router.replaceAll(["q": try interests(["s": "[ab]{300}$"])], version: 1)
        let long = JSONValue.object(["s": .string(String(repeating: "a", count: 1_000_000))])
        #expect { try router.route(long) } throws: { ($0 as? EngineError)?.code == .badRequest }
        let literal = InterestRouter()
        literal.replaceAll(["q": try interests(["s": "needle"])], version: 1)
        #expect(try literal.route(long).queues.isEmpty, "a literal is a substring search, cheap at any length")
    }
}
