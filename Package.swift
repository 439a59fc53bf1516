// swift-tools-version:6.1
import PackageDescription

/// One target per concern; dependencies point one way:
/// Model ← Store ← StoreSQLite, StorePostgres; Model, Regex, Store ← Engine ← HTTP ← Server ← CLI ← couchqueue.
let package = Package(
    name: "couchqueue",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "couchqueue", targets: ["couchqueue"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "CouchQueueModel"),
        .target(name: "CouchQueueRegex"),
        .target(
            name: "CouchQueueStore",
            dependencies: ["CouchQueueModel"]
        ),
        .target(
            name: "CouchQueueStoreSQLite",
            dependencies: [
                "CouchQueueStore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "CouchQueueStorePostgres",
            dependencies: [
                "CouchQueueStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CouchQueueEngine",
            dependencies: [
                "CouchQueueModel", "CouchQueueRegex", "CouchQueueStore",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CouchQueueHTTP",
            dependencies: [
                "CouchQueueEngine",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .target(
            name: "CouchQueueServer",
            dependencies: [
                "CouchQueueHTTP", "CouchQueueStoreSQLite", "CouchQueueStorePostgres",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CouchQueueCLI",
            dependencies: [
                "CouchQueueHTTP", "CouchQueueRegex", "CouchQueueServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "couchqueue",
            dependencies: [
                "CouchQueueCLI", "CouchQueueEngine",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // Swift's runtime and Foundation linked in: the runtime's calls (reference counting,
            // exclusivity, tasks) go direct, not through the dynamic linker's tables, and its
            // thread-locals need no `__tls_get_addr`: 4-8% less CPU per publish
            // (docs/performance.md). `-static-stdlib` alone leaves out what the static
            // Foundation archives need, which SwiftPM's `--static-swift-stdlib` finds by
            // building every module again, so they are named here.
            linkerSettings: [.unsafeFlags(staticRuntime, .when(platforms: [.linux]))]
        ),

        .testTarget(
            name: "CouchQueueRegexTests",
            dependencies: ["CouchQueueRegex"],
            exclude: ["Support/re2_oracle.py"]
        ),
        .testTarget(name: "CouchQueueModelTests", dependencies: ["CouchQueueModel"]),
        .testTarget(
            name: "CouchQueueStoreTests",
            dependencies: [
                "CouchQueueStore", "CouchQueueStoreSQLite", "CouchQueueStorePostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "CouchQueueEngineTests",
            dependencies: ["CouchQueueEngine", "CouchQueueStoreSQLite"]
        ),
        .testTarget(
            name: "CouchQueueHTTPTests",
            dependencies: ["CouchQueueHTTP", .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// The link flags for a Swift runtime and Foundation inside the executable (Linux).
var staticRuntime: [String] {
    let archives = [
        "Foundation", "FoundationEssentials", "FoundationInternationalization",
        "_FoundationCShims", "_FoundationCollections", "_FoundationICU", "CoreFoundation",
    ]
    return ["-static-stdlib", "-Xlinker", "--start-group"]
        + archives.flatMap { ["-Xlinker", "-l\($0)"] }
        + ["-Xlinker", "--end-group"]
}
