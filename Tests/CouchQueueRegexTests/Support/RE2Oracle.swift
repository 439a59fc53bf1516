import Foundation

/// Asks the real RE2 (PyPI's google-re2, through `re2_oracle.py`) about patterns and texts.
enum RE2Oracle {
    struct Case: Encodable {
        let pattern: String
        let texts: [String]
    }

    /// RE2's answer for one case: the error if it refuses the pattern, else one match
    /// result per text.
    struct Verdict: Decodable {
        let error: String?
        let matches: [Bool]?
    }

    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    private struct Request: Encodable { let cases: [Case] }
    private struct Response: Decodable { let results: [Verdict] }

    static let scriptURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("re2_oracle.py")

    /// Runs the oracle once for all cases. Throws `Unavailable` (never skips) when python3
    /// or the re2 module is missing, so a machine without RE2 fails the test loudly.
    static func verdicts(for cases: [Case]) throws -> [Verdict] {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("re2-oracle-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let input = scratch.appendingPathComponent("request.json")
        let output = scratch.appendingPathComponent("response.json")
        let errors = scratch.appendingPathComponent("stderr.txt")
        try JSONEncoder().encode(Request(cases: cases)).write(to: input)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptURL.path]
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        do {
            try process.run()
        } catch {
            throw Unavailable(
                description: "could not start python3 (\(error)); the RE2 differential test "
                    + "needs python3 with the re2 module: pip install google-re2")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw Unavailable(
                description: "the RE2 oracle failed (exit status \(process.terminationStatus): "
                    + "\(stderr.trimmingCharacters(in: .whitespacesAndNewlines))); it needs python3 with the re2 "
                    + "module: pip install google-re2")
        }
        let results = try JSONDecoder().decode(Response.self, from: Data(contentsOf: output)).results
        guard results.count == cases.count else {
            throw Unavailable(description: "the RE2 oracle answered \(results.count) of \(cases.count) cases")
        }
        return results
    }
}
