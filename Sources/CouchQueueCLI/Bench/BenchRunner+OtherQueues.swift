import CouchQueueModel
import CouchQueueRegex

extension BenchRunner {
    /// The fields of the bench's tasks (`task(_:sentAt:)`, and `--backlog`'s).
    private static let taskFields: Set<String> = ["run", "userId", "email", "ts", "backlog"]

    /// Refuses to run where another queue would take copies of the bench's tasks: tasks are
    /// routed by what they hold, so a queue interested in everything, or in one of their
    /// fields, would get thousands of them besides the bench's own queue. Patterns on `run`
    /// and `backlog` are tried on this run's id, which those fields hold (an earlier run's
    /// queue, left by a run that failed, does not match it); a pattern on another field of
    /// theirs counts as interested, whatever it is.
    func refuseIfOtherQueuesAreInterested(_ connection: BenchConnection) async throws {
        let status = try await connection.send(.GET, "/status?interests=true").json()
        let interested = (status.objectValue?["interests"]?.objectValue ?? [:]).compactMap { queue, interests -> String? in
            switch interests {
            case .string("*"): return queue
            case .object(let patterns): return patterns.contains { isInterested($0.key, $0.value) } ? queue : nil
            default: return nil
            }
        }
        guard interested.isEmpty else {
            throw BenchError(
                "the interests of \(interested.sorted().joined(separator: ", ")) would take copies of the bench's tasks: "
                    + "run it against a server of its own")
        }
    }

    private func isInterested(_ field: String, _ pattern: JSONValue) -> Bool {
        guard Self.taskFields.contains(field) else { return false }
        guard field == "run" || field == "backlog", case .string(let pattern) = pattern, let regex = try? LinearRegex(pattern) else { return true }
        return regex.matches(runID)
    }
}
