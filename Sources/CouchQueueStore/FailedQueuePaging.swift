import CouchQueueModel

extension FailedQueuePage {
    /// The bytes a task counts for in a page's size: its data and its fail reason, the parts
    /// as large as a request body.
    public static func size(of task: QueueTask) -> Int {
        task.data.text.utf8.count + (task.failReason?.utf8.count ?? 0)
    }

    /// The page of the tasks `offset` and `limit` chose, taken in order from `next` with their
    /// sizes, as long as it stays within `maxBytes`; its first task always, however large.
    /// Takes one task past the bound at most.
    public static func cut(
        length: Int, offset: Int, maxBytes: Int, next: () throws -> (task: QueueTask, bytes: Int)?
    ) rethrows -> FailedQueuePage {
        var page = FailedQueuePage(length: length, tasks: [])
        var bytes = 0
        while let (task, size) = try next() {
            bytes += size
            guard bytes <= maxBytes || page.tasks.isEmpty else {
                page.nextOffset = offset + page.tasks.count
                break
            }
            page.tasks.append(task)
        }
        return page
    }
}
