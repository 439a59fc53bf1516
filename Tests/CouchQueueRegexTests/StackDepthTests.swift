import Foundation
import Testing

@testable import CouchQueueRegex

/// Parsing and compiling use explicit stacks; what recursion remains is bounded by the
/// 250-level nesting limit. So the deepest accepted patterns compile even on a thread
/// with a small stack, such as the 512 KiB of a secondary thread on macOS.
@Suite struct StackDepthTests {
    static let deepestPatterns = [
        String(repeating: "a(", count: 249) + "a" + String(repeating: ")", count: 249),
        String(repeating: "(?:a|", count: 249) + "a" + String(repeating: ")", count: 249),
        String(repeating: "(?:", count: 124) + "a" + String(repeating: ")*b", count: 124),
        "a" + String(repeating: "(?i)*", count: 249),
        String(repeating: "(?:", count: 124) + "a" + String(repeating: "){0,1}b", count: 124),
    ]

    @Test func theDeepestAcceptedPatternsCompileOnA256KiBStack() {
        let finished = DispatchSemaphore(value: 0)
        // Written by the thread before it signals, read after the wait.
        nonisolated(unsafe) var outcomes: [String] = []
        let thread = Thread {
            outcomes = Self.deepestPatterns.map { pattern in
                do {
                    return "matched \(try LinearRegex(pattern).matches("aab"))"
                } catch {
                    return "\(error)"
                }
            }
            finished.signal()
        }
        thread.stackSize = 256 * 1024
        thread.start()
        finished.wait()
        #expect(outcomes == ["matched false", "matched true", "matched true", "matched true", "matched true"])
    }
}
