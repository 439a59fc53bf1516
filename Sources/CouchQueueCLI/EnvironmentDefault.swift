import Foundation

/// Every `serve` flag also reads an environment variable; a flag on the command line wins.
enum EnvironmentDefault {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}
