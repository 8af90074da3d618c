import Foundation

/// Image formats the media library accepts, recognized from their first bytes (never from the
/// file name). SVG is refused: it can carry scripts.
public enum ImageFormat: String, CaseIterable, Sendable {
    case png, jpeg, webp, gif

    public static let maxBytes = 5 * 1024 * 1024

    public static func detect(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: Array("GIF87a".utf8)) || head.starts(with: Array("GIF89a".utf8)) { return .gif }
        if head.count >= 12, head[0..<4].elementsEqual("RIFF".utf8), head[8..<12].elementsEqual("WEBP".utf8) {
            return .webp
        }
        return nil
    }

    public var contentType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        case .gif: "image/gif"
        }
    }

    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
}

/// What an image is for, as the media library sorts them.
public enum AssetKind: String, CaseIterable, Codable, Sendable {
    case image, logo, favicon, background

    public var label: String {
        switch self {
        case .image: "Image"
        case .logo: "Logo"
        case .favicon: "Favicon"
        case .background: "Arrière-plan"
        }
    }
}
