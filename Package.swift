// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "leadhub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "leadhub", targets: ["leadhub"])
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "LeadHubCore",
            swiftSettings: swiftSettings
        ),
        // Puts Swift Concurrency's global executor on NIO's event loops when the Swift runtime is
        // linked statically (release bundle), where NIO's own dlsym-based install cannot.
        .target(name: "CExecutorHook"),
        .target(
            name: "LeadHubApp",
            dependencies: [
                "LeadHubCore",
                "CExecutorHook",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "leadhub",
            dependencies: ["LeadHubApp"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LeadHubCoreTests",
            dependencies: ["LeadHubCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LeadHubAppTests",
            dependencies: [
                "LeadHubApp",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

var swiftSettings: [SwiftSetting] {
    [.enableUpcomingFeature("ExistentialAny")]
}
