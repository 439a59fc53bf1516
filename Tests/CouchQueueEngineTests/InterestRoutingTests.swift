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
        router.set("q", compiled)
        return try router.route(data) == ["q"]
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
        router.set("b", try interests(["email": "@"]))
        router.set("a", try CompiledInterests(.everything))
        router.set("c", try interests(["email": "^x"]))
        #expect(try router.route(data) == ["a", "b"])
        router.set("a", nil)
        #expect(try router.route(data) == ["b"])
    }

    @Test func dataTooCostlyToMatchIsRefusedBeforeMatching() throws {
        let router = InterestRouter()
        router.set("q", try interests(["s": "[ab]{300}$"]))
        let long = JSONValue.object(["s": .string(String(repeating: "a", count: 1_000_000))])
        #expect { try router.route(long) } throws: { ($0 as? EngineError)?.code == .badRequest }
        let literal = InterestRouter()
        literal.set("q", try interests(["s": "needle"]))
        #expect(try literal.route(long).isEmpty, "a literal is a substring search, cheap at any length")
    }
}
