import Testing

@testable import CouchQueueRegex

/// A compiled regex holds no mutable state, so one instance can serve many threads.
@Suite struct ConcurrencyTests {
    @Test func oneRegexAnswersTheSameFromManyConcurrentTasks() async throws {
        let regex = try LinearRegex(#"(?i)^(\w+)@(\w+\.)+[a-z]{2,}$|σ+"#)
        let texts = ["ann@example.com", "bob@x", "ΣΣς", "nobody", "Cy@Mail.Example.ORG", ""]
        let expected = texts.map(regex.matches)
        let results = await withTaskGroup(of: [Bool].self) { group in
            for _ in 0..<64 {
                group.addTask {
                    (0..<200).flatMap { _ in texts.map(regex.matches) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 64)
        for result in results {
            #expect(result == Array((0..<200).map { _ in expected }.joined()))
        }
    }

    @Test func patternsCompileConcurrentlyWhileSharedUnicodeTablesAreBuilt() async throws {
        let patterns = [#"(?i)\p{Lu}x"#, #"\pL+"#, "(?i)k", #"\p{Nd}"#]
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<32 {
                group.addTask {
                    try LinearRegex(patterns[index % patterns.count]).matches("AX \u{212A} 7") ? 1 : 0
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(counts == 32)
    }
}
