import ArgumentParser

/// `couchqueue`: the command tree. The executable only calls `start()`.
public struct CouchQueueCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "couchqueue",
        abstract: "A task queue that any program speaks to over HTTP and JSON.",
        subcommands: [ServeCommand.self, BenchCommand.self])

    public init() {}

    /// Parses the command line and runs the chosen command, exiting with its status.
    ///
    /// Spelled out rather than `main()`, whose async form Swift does not pick from a module
    /// without platform availability on Linux.
    public static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
