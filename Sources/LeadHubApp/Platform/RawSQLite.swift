import Foundation
import SQLiteNIO
import VaporCSQLite

/// A direct libsqlite3 connection (the copy of SQLite that SQLiteNIO ships) for the few hot paths
/// that run a whole transaction at once, such as the lead writer's group commit. Statements are
/// prepared once and reused, rows are read by column position, and nothing hops between threads:
/// the caller runs everything on one thread of its own. Not for general use: Fluent and SQLKit
/// remain the way to talk to the database.
final class RawSQLite: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        var description: String { "SQLite error \(code): \(message)" }
    }

    /// One result row; valid only inside the closure that receives it.
    struct Row {
        fileprivate let statement: OpaquePointer

        func isNull(_ column: Int32) -> Bool { sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_NULL }

        func text(_ column: Int32) -> String? {
            guard !isNull(column), let pointer = sqlite_nio_sqlite3_column_text(statement, column) else { return nil }
            return String(cString: pointer)
        }

        func integer(_ column: Int32) -> Int? {
            isNull(column) ? nil : Int(sqlite_nio_sqlite3_column_int64(statement, column))
        }

        func double(_ column: Int32) -> Double? {
            isNull(column) ? nil : sqlite_nio_sqlite3_column_double(statement, column)
        }
    }

    private var handle: OpaquePointer?
    private var prepared: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "open failed"
            sqlite_nio_sqlite3_close(handle)
            throw Failure(code: status, message: "\(message) (\(path))")
        }
        self.handle = handle
    }

    deinit { close() }

    func close() {
        for statement in prepared.values { sqlite_nio_sqlite3_finalize(statement) }
        prepared = [:]
        if let handle { sqlite_nio_sqlite3_close(handle) }
        handle = nil
    }

    /// Runs statements without parameters (PRAGMA, BEGIN, COMMIT…).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "error"
            sqlite_nio_sqlite3_free(message)
            throw Failure(code: status, message: text)
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ sql: String, _ binds: [SQLiteData]) throws {
        try rows(sql, binds) { _ in }
    }

    /// Runs a statement and hands each row to `body`.
    func rows(_ sql: String, _ binds: [SQLiteData], _ body: (Row) throws -> Void) throws {
        let statement = try statement(sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        // A value missing or left over would shift or drop a column silently: refuse the statement.
        let parameters = Int(sqlite_nio_sqlite3_bind_parameter_count(statement))
        guard parameters == binds.count else {
            throw Failure(
                code: SQLITE_RANGE,
                message: "\(binds.count) value(s) for \(parameters) parameter(s) in: \(sql.prefix(120))")
        }
        for (index, value) in binds.enumerated() {
            try check(bind(value, at: Int32(index + 1), in: statement))
        }
        while true {
            let status = sqlite_nio_sqlite3_step(statement)
            if status == SQLITE_ROW {
                try body(Row(statement: statement))
            } else if status == SQLITE_DONE {
                return
            } else {
                throw failure(status)
            }
        }
    }

    private func statement(_ sql: String) throws -> OpaquePointer {
        if let statement = prepared[sql] { return statement }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        prepared[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .text(let text):
            return sqlite_nio_sqlite3_bind_text64(
                statement, index, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
        case .integer(let number):
            return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
        case .float(let number):
            return sqlite_nio_sqlite3_bind_double(statement, index, number)
        case .null:
            return sqlite_nio_sqlite3_bind_null(statement, index)
        case .blob(let buffer):
            return buffer.withUnsafeReadableBytes {
                sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient)
            }
        }
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw failure(status) }
    }

    private func failure(_ status: Int32) -> Failure {
        Failure(code: status, message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "error")
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
