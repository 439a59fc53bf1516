@testable import CouchQueueEngine
import CouchQueueModel
import Testing

/// `InterestCompiling` reuses recent compiles only where that cannot change an answer.
@Suite struct InterestCompilingTests {
    @Test func interestsLoadedWithoutTheSizeCheckStillFailIt() async throws {
        // 21 × 5,000 instructions: past `CompiledInterests.maxTotalSize`, as interests stored
        // before the limit may be.
        let oversized = Interests.fields(
            Dictionary(uniqueKeysWithValues: (0..<21).map { ("f\($0)", String(repeating: "a{1000}", count: 5)) }))
        _ = try await InterestCompiling.load(oversized)
        await #expect(throws: EngineError.self) { try await InterestCompiling.check(oversized) }
    }

    @Test func patternsEqualOnlyAsSwiftComparesStringsAreCompiledApart() async throws {
        let composed = try await InterestCompiling.load(.fields(["name": "caf\u{E9}"]))
        let decomposed = try await InterestCompiling.load(.fields(["name": "cafe\u{301}"]))
        #expect(composed.fields?.first?.regex.pattern.utf8.elementsEqual("caf\u{E9}".utf8) == true)
        #expect(decomposed.fields?.first?.regex.pattern.utf8.elementsEqual("cafe\u{301}".utf8) == true)
    }
}
