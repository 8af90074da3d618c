import Foundation
import Vapor

/// Encrypts partner secrets (CRM tokens, webhook secrets, e-mail API keys) at rest with AES-GCM
/// under the server key: `LEADHUB_SECRET_KEY` (32 bytes, base64 or hex), or a key generated into
/// the data directory (`secret.key`, mode 0600) on first start. Servers sharing a PostgreSQL
/// database must share the key. Stored values read `v1:<base64 nonce+ciphertext+tag>`.
struct SecretBox: Sendable {
    private let key: SymmetricKey

    init(key: SymmetricKey) {
        self.key = key
    }

    enum Problem: Error, CustomStringConvertible {
        case badKey(String)
        case unreadable

        var description: String {
            switch self {
            case .badKey(let why): "LEADHUB_SECRET_KEY: \(why)"
            case .unreadable: "a stored secret cannot be decrypted with this server key"
            }
        }
    }

    /// The configured key, or the data directory's, created when missing.
    static func load(configured: String?, dataDirectory: String) throws -> SecretBox {
        if let configured {
            guard let bytes = decodeKey(configured), bytes.count == 32 else {
                throw Problem.badKey("32 octets attendus, en base64 ou en hexadécimal (openssl rand -base64 32)")
            }
            return SecretBox(key: SymmetricKey(data: bytes))
        }
        let path = (dataDirectory as NSString).appendingPathComponent("secret.key")
        let manager = FileManager.default
        if let text = try? String(contentsOfFile: path, encoding: .utf8), let bytes = decodeKey(text), bytes.count == 32
        {
            return SecretBox(key: SymmetricKey(data: bytes))
        }
        try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        guard manager.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Problem.badKey("impossible d'écrire \(path)")
        }
        return SecretBox(key: key)
    }

    private static func decodeKey(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, trimmed.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                guard let byte = UInt8(trimmed[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
            return bytes
        }
        return Data(base64Encoded: trimmed).map { Array($0) }
    }

    func seal(_ plain: String) throws -> String {
        let box = try AES.GCM.seal(Data(plain.utf8), using: key)
        guard let combined = box.combined else { throw Problem.unreadable }
        return "v1:" + combined.base64EncodedString()
    }

    func open(_ stored: String) throws -> String {
        guard stored.hasPrefix("v1:"), let data = Data(base64Encoded: String(stored.dropFirst(3))) else {
            throw Problem.unreadable
        }
        do {
            let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw Problem.unreadable
        }
    }

    /// A string map (product → token) sealed as one JSON document; nil or empty stays nil.
    func sealMap(_ map: [String: String]) throws -> String? {
        guard !map.isEmpty else { return nil }
        let json = try JSONEncoder().encode(map)
        return try seal(String(decoding: json, as: UTF8.self))
    }

    func openMap(_ stored: String?) -> [String: String] {
        guard let stored, let json = try? open(stored),
            let map = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        else { return [:] }
        return map
    }

    /// `abcd…wxyz` → `abcd••••wxyz`: enough to recognize a secret, not to use it.
    static func masked(_ secret: String) -> String {
        guard secret.count > 8 else { return String(repeating: "•", count: max(secret.count, 4)) }
        return String(secret.prefix(4)) + "••••" + String(secret.suffix(4))
    }
}

extension Application {
    private struct SecretBoxKey: StorageKey { typealias Value = SecretBox }

    var secretBox: SecretBox {
        get {
            guard let box = storage[SecretBoxKey.self] else { fatalError("SecretBox is set up in configure()") }
            return box
        }
        set { storage[SecretBoxKey.self] = newValue }
    }
}
