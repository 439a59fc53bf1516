@testable import CouchQueueEngine
import CouchQueueModel
import Testing

@Suite struct InterestRoutingTests {
    private func interests(_ fields: [String: String]) throws -> CompiledInterests {
        try CompiledInterests(.fields(fields))
    }

    /// Whether a queue with these interests routes `data`.
    private func routes(_ compiled: CompiledInterests, _ data: JSONValue) async throws -> Bool {
        let router = InterestRouter()
        router.replaceAll(["q": compiled], version: 1)
        return try await router.route(data).queues == ["q"]
    }

    private let data: JSONValue = .object([
        "email": .string("evan@example.com"),
        "user": .object(["id": .int(42), "tags": .array([.string("vip")])]),
        "nothing": .null,
        "flag": .bool(true),
    ])

    @Test func everythingMatchesAnyDataEvenEmpty() async throws {
        #expect(try await routes(CompiledInterests(.everything), .object([:])))
    }

    @Test func anyOneFieldMatchingIsEnough() async throws {
        #expect(try await routes(interests(["email": "@example", "missing": "x"]), data))
        #expect(try await !routes(interests(["email": "@other", "missing": "x"]), data))
    }

    @Test func searchIsUnanchoredUnlessThePatternAnchors() async throws {
        #expect(try await routes(interests(["email": "example"]), data))
        #expect(try await !routes(interests(["email": "^example"]), data))
    }

    @Test func dottedPathsReachIntoNestedObjects() async throws {
        #expect(try await routes(interests(["user.id": "^42$"]), data))
        #expect(try await !routes(interests(["user.name": "."]), data))
    }

    @Test func nonStringsMatchAsCompactJSON() async throws {
        #expect(try await routes(interests(["user.tags": #"^\["vip"\]$"#]), data))
        #expect(try await routes(interests(["flag": "^true$"]), data))
        #expect(try await routes(interests(["user": #"^\{"id":42,"#]), data))
    }

    @Test func nullAndMissingFieldsNeverMatch() async throws {
        #expect(try await !routes(interests(["nothing": ".*"]), data))
        #expect(try await !routes(interests(["absent": ".*"]), data))
        #expect(try await !routes(interests(["email": ".*"]), .object([:])))
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

    @Test func routerAnswersEveryInterestedQueueByName() async throws {
        let router = InterestRouter()
        let b = try interests(["email": "@"])
        router.replaceAll(["b": b, "a": try CompiledInterests(.everything), "c": try interests(["email": "^x"])], version: 1)
        #expect(try await router.route(data).chosen == (["a", "b"], 1))
        // With the interests that chose them, as stores keep them.
        #expect(try await router.route(data).storedInterests == ["a": #""*""#, "b": #"{"email":"@"}"#])
        router.replaceAll(["b": b], version: 2)
        #expect(try await router.route(data).chosen == (["b"], 2))
    }

    /// Two requests each reload after their own change; the one that read the older state may
    /// finish last. Its load must not replace the newer one.
    @Test func anOlderLoadDoesNotReplaceANewerOne() async throws {
        let router = InterestRouter()
        router.replaceAll(["new": try CompiledInterests(.everything)], version: 7)
        router.replaceAll(["old": try CompiledInterests(.everything)], version: 6)
        router.replaceAll(["same": try CompiledInterests(.everything)], version: 7)
        #expect(try await router.route(data).chosen == (["new"], 7))
    }

    @Test func dataTooCostlyToMatchIsRefusedBeforeMatching() async throws {
        let router = InterestRouter()
        router.replaceAll(["q": try interests(["s": "[ab]{300}$"])], version: 1)
        let long = JSONValue.object(["s": .string(String(repeating: "a", count: 1_000_000))])
        await #expect { try await router.route(long) } throws: { ($0 as? EngineError)?.code == .badRequest }
        let literal = InterestRouter()
        literal.replaceAll(["q": try interests(["s": "needle"])], version: 1)
        #expect(try await literal.route(long).queues.isEmpty, "a literal is a substring search, cheap at any length")
    }

    /// Matching that costs more than a fraction of a millisecond runs off the caller's thread.
    @Test func costlyMatchingAnswersAsInlineMatchingDoes() async throws {
        let router = InterestRouter()
        router.replaceAll(["ends-b": try interests(["s": "[ab]{30}b$"]), "ends-c": try interests(["s": "[ab]{30}c$"])], version: 3)
        let text = String(repeating: "a", count: 20_000) + "b"
        #expect(try interests(["s": "[ab]{30}b$"]).fields![0].regex.workBound(utf8Count: text.utf8.count) > InterestRouter.inlineWorkLimit)
        #expect(try await router.route(.object(["s": .string(text)])).chosen == (["ends-b"], 3))
    }

    /// Each level of a path is read from the side with fewer names: the data's fields, or the
    /// fields patterns read. Both ways find the same fields.
    @Test func aFieldIsFoundWhicheverSideHasFewerNames() async throws {
        let many = Dictionary(uniqueKeysWithValues: (0..<50).map { ("f\($0)", "^never$") })
        let router = InterestRouter()
        router.replaceAll(
            [
                "few": try interests(["email": "@example", "user.id": "^42$"]),
                "many": try interests(many.merging(["user.id": "^42$"]) { $1 }),
                "none": try interests(many),
            ], version: 1)
        #expect(try await router.route(data).chosen == (["few", "many"], 1))
        let wide = JSONValue.object(JSONObject(Dictionary(uniqueKeysWithValues: (0..<200).map { ("g\($0)", JSONValue.string("x")) })))
        #expect(try await router.route(wide).queues.isEmpty)
    }

    /// Patterns on fields the data lacks cost nothing; each search planned costs a set-up
    /// besides its text, so that thousands of cheap ones are matched off the event loop.
    @Test func thousandsOfPatternsOnPresentFieldsCountAsWork() throws {
        let fields = Dictionary(uniqueKeysWithValues: (0..<1_000).map { ("f\($0)", "^x$") })
        let table = RoutingTable(["q": try interests(fields)])
        let absent = try #require(table.plan(.object(["other": .string("x")]), budget: .max))
        #expect(absent.searches.isEmpty && absent.work == 0)
        let present = JSONValue.object(JSONObject(fields.mapValues { _ in .string("x") }))
        let planned = try #require(table.plan(present, budget: .max))
        #expect(planned.searches.count == 1_000 && planned.work > InterestRouter.inlineWorkLimit)
        #expect(table.plan(present, budget: planned.work - 1) == nil)
        #expect(table.interested(planned.searches) == ["q"])
    }
}

extension InterestRouter.Routed {
    var chosen: ([String], Int64?) { (queues, version) }
}
