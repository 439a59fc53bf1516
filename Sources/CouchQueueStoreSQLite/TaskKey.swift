import CouchQueueStore
import Synchronization

/// How the store finds a task by its id without an index on ids: the id carries the row's
/// `seq` before its random part, so a lookup reads the row by `seq` and checks the whole id.
/// A publish then adds to two B-trees, not three: the index on ids cost the server about 3%
/// of its CPU per publish. Ids given before migration 7 (38 characters with the time, 28 in
/// the first builds) are found through `tasks_legacy_ids`, which holds only ids of another
/// length than these (a task's id never changes).
enum TaskKey {
    /// 13 base-32 characters: 65 bits, room for any `seq`.
    private static let seqCharacters = 13
    /// The length of every id made since migration 7, and of no id made before it.
    static let idLength = 2 + seqCharacters + 26

    static func id(seq: Int64) -> String {
        RandomID.make("t", key: UInt64(seq), keyCharacters: seqCharacters)
    }

    /// A statement that finds a task by its id (`?2`) in both forms: by `seq` (`?1`) for an
    /// id made since migration 7, else among the earlier ids, through their index.
    struct Lookup: Sendable {
        private let bySeq: String
        private let byLegacyId: String

        /// `statement` writes the SQL around the condition it is given.
        init(_ statement: (_ condition: String) -> String) {
            bySeq = statement("tasks.seq = ?1 AND tasks.id = ?2")
            byLegacyId = statement("tasks.id = ?2 AND length(tasks.id) <> \(TaskKey.idLength)")
        }

        /// The statement that finds `id`, and the `seq` it binds before the id (0 for an
        /// earlier id, whose condition does not read it).
        func finding(_ id: String) -> (sql: String, seq: Int64) {
            guard let seq = TaskKey.seq(of: id) else { return (byLegacyId, 0) }
            return (bySeq, seq)
        }
    }

    private static func seq(of id: String) -> Int64? {
        RandomID.key(of: id, prefix: "t", keyCharacters: seqCharacters).flatMap { Int64(exactly: $0) }
    }
}

/// The `seq` of the next task the writer inserts, chosen before the insert since the task's id
/// carries it (`TaskKey`). Only the writer inserts tasks; a batch rolled back leaves a gap.
final class TaskSequence: Sendable {
    private let last: Mutex<Int64>

    init(last: Int64) {
        self.last = Mutex(last)
    }

    func next() -> Int64 {
        last.withLock { last in
            last += 1
            return last
        }
    }
}
