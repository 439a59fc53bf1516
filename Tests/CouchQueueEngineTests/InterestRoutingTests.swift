@testable import CouchQueueEngine
import CouchQueueModel
import Testing

@Suite struct InterestRoutingTests {
    private func interests(_ fields: [String: String]) throws -> CompiledInterests {
        try CompiledInterests(.fields(fields))
    }

    private let data: JSONValue = .object([
        "email": .string("evan@example.com"),
        "user": .object(["id": .int(42), "tags": .array([.string("vip")])]),
        "nothing": .null,
        "flag": .bool(true),
    ])

    @Test func everythingMatchesAnyDataEvenEmpty() throws {
        #expect(try CompiledInterests(.everything).matches(.object([:])))
    }

    @Test func anyOneFieldMatchingIsEnough() throws {
        #expect(try interests(["email": "@example", "missing": "x"]).matches(data))
        #expect(try !interests(["email": "@other", "missing": "x"]).matches(data))
    }

    @Test func searchIsUnanchoredUnlessThePatternAnchors() throws {
        #expect(try interests(["email": "example"]).matches(data))
        #expect(try !interests(["email": "^example"]).matches(data))
    }

    @Test func dottedPathsReachIntoNestedObjects() throws {
        #expect(try interests(["user.id": "^42$"]).matches(data))
        #expect(try !interests(["user.name": "."]).matches(data))
    }

    @Test func nonStringsMatchAsCompactJSON() throws {
        #expect(try interests(["user.tags": #"^\["vip"\]$"#]).matches(data))
        #expect(try interests(["flag": "^true$"]).matches(data))
        #expect(try interests(["user": #"^\{"id":42,"#]).matches(data))
    }

    @Test func nullAndMissingFieldsNeverMatch() throws {
        #expect(try !interests(["nothing": ".*"]).matches(data))
        #expect(try !interests(["absent": ".*"]).matches(data))
        #expect(try !interests(["email": ".*"]).matches(.object([:])))
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
        #expect(router.route(data) == ["a", "b"])
        router.set("a", nil)
        #expect(router.route(data) == ["b"])
    }
}
