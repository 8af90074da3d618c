import Fluent
import Foundation
import LeadHubCore
import Vapor

/// An uploaded image: logos, banners, favicons, backgrounds; global or for one account.
final class Asset: Model, @unchecked Sendable {
    static let schema = "assets"

    @ID(key: .id) var id: UUID?
    @Field(key: "organization_id") var organizationId: UUID
    @OptionalField(key: "account_id") var accountId: UUID?
    @Field(key: "label") var label: String
    @Field(key: "kind") var kindRaw: String
    @Field(key: "format") var formatRaw: String
    @Field(key: "byte_size") var byteSize: Int
    @Field(key: "sha256") var sha256: String
    @OptionalField(key: "original_name") var originalName: String?
    @OptionalField(key: "created_by") var createdBy: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var format: ImageFormat { ImageFormat(rawValue: formatRaw) ?? .png }
    var kind: AssetKind { AssetKind(rawValue: kindRaw) ?? .image }
    var fileName: String { id!.uuidString.lowercased() + "." + format.fileExtension }
    /// The public address of the file (LPs hosted elsewhere load it from there).
    var path: String { "/media/" + fileName }
}

extension Asset: TenantOwned {
    /// Restricted users see global images and those of their accounts.
    static func restrict(_ query: QueryBuilder<Asset>, to scope: TenantScope) -> QueryBuilder<Asset> {
        guard let ids = scope.visibleAccountIds else { return query }
        return query.group(.or) { group in
            group.filter(\.$accountId == nil).filter(\.$accountId ~~ Array(ids))
        }
    }
}

struct AssetInput: Decodable, Sendable {
    var label: String?
    var kind: String?
    var accountId: String?

    enum CodingKeys: String, CodingKey {
        case label, kind, accountId = "account_id"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        label = try c.text(.label)
        kind = try c.text(.kind)
        accountId = try c.text(.accountId)
    }
}

struct AssetUpload: Content {
    var file: File?
    var label: String?
    var kind: String?
    var accountId: String?

    enum CodingKeys: String, CodingKey {
        case file, label, kind, accountId = "account_id"
    }
}

enum AssetService {
    static func directory(for organizationId: UUID, app: Application) -> String {
        (app.config.dataDirectory as NSString).appendingPathComponent(
            "assets/" + organizationId.uuidString.lowercased())
    }

    static func filePath(of asset: Asset, app: Application) -> String {
        (directory(for: asset.organizationId, app: app) as NSString).appendingPathComponent(asset.fileName)
    }

    static func filtered(kind: String?, accountId: UUID?, params: ListParams, scope: TenantScope, on db: any Database)
        -> QueryBuilder<Asset>
    {
        var query = scope.query(Asset.self, on: db).search(params.search, in: ["label", "original_name"])
        if let kind, !kind.isEmpty { query = query.filter(\.$kindRaw == kind) }
        if let accountId { query = query.filter(\.$accountId == accountId) }
        return query
    }

    /// Checks and stores an upload: the type from the bytes, 5 MB at most, written atomically.
    static func upload(_ upload: AssetUpload, scope: TenantScope, now: Date, app: Application, on db: any Database)
        async throws -> Asset
    {
        try scope.require(.edit)
        var errors = FieldErrors()
        var format: ImageFormat? = nil
        var bytes: ByteBuffer? = nil
        if let file = upload.file, file.data.readableBytes > 0 {
            bytes = file.data
            if file.data.readableBytes > ImageFormat.maxBytes {
                throw Abort(.payloadTooLarge, reason: "Image trop lourde : 5 Mo au plus.")
            }
            format = ImageFormat.detect(file.data.readableBytesView)
            if format == nil {
                throw Abort(
                    .unsupportedMediaType,
                    reason: "Format non accepté : envoyez une image PNG, JPEG, WebP ou GIF (le SVG est refusé).")
            }
        } else {
            errors.add("file", "Choisissez une image à envoyer.")
        }
        let asset = Asset()
        asset.organizationId = scope.organizationId
        let original = upload.file?.filename.trimmingCharacters(in: .whitespaces)
        var input = AssetInput()
        input.label = (upload.label?.isEmpty ?? true) ? original.map { String($0.prefix(150)) } : upload.label
        input.kind = upload.kind
        input.accountId = upload.accountId
        try await apply(input, to: asset, creating: true, scope: scope, errors: &errors, on: db)
        try errors.throwIfAny()
        guard let format, let bytes else { throw errors }
        asset.id = UUID()
        asset.formatRaw = format.rawValue
        asset.byteSize = bytes.readableBytes
        asset.sha256 = Secrets.hex(SHA256.hash(data: Data(buffer: bytes)))
        asset.originalName = original.map { String($0.prefix(200)) }
        asset.createdBy = scope.userEmail
        asset.createdAt = now
        let folder = directory(for: scope.organizationId, app: app)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = filePath(of: asset, app: app)
        let data = Data(buffer: bytes)
        // Written to a temporary file then renamed (atomic), on the thread pool.
        try await app.threadPool.runIfActive { try data.write(to: URL(fileURLWithPath: target), options: .atomic) }
        do {
            try await db.transaction { tx in
                try await asset.create(on: tx)
                try await ActivityService.record(
                    .create, objectType: "asset", objectId: asset.id,
                    summary: "Image « \(asset.label) » ajoutée à la médiathèque", scope: scope, at: now, on: tx)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: target)
            throw error
        }
        return asset
    }

    static func update(_ id: UUID?, _ input: AssetInput, scope: TenantScope, now: Date, on db: any Database)
        async throws
        -> Asset
    {
        let asset = try await scope.find(Asset.self, id, on: db)
        try scope.require(.edit)
        var errors = FieldErrors()
        try await apply(input, to: asset, creating: false, scope: scope, errors: &errors, on: db)
        try errors.throwIfAny()
        try await db.transaction { tx in
            try await asset.save(on: tx)
            try await ActivityService.record(
                .update, objectType: "asset", objectId: asset.id, summary: "Image « \(asset.label) » modifiée",
                scope: scope,
                at: now, on: tx)
        }
        return asset
    }

    static func delete(_ id: UUID?, scope: TenantScope, now: Date, app: Application, on db: any Database) async throws {
        let asset = try await scope.find(Asset.self, id, on: db)
        try scope.require(.edit)
        try await asset.delete(on: db)
        try? FileManager.default.removeItem(atPath: filePath(of: asset, app: app))
        try await ActivityService.record(
            .delete, objectType: "asset", objectId: asset.id, summary: "Image « \(asset.label) » supprimée",
            scope: scope,
            at: now, on: db)
    }

    private static func apply(
        _ input: AssetInput, to asset: Asset, creating: Bool, scope: TenantScope, errors: inout FieldErrors,
        on db: any Database
    ) async throws {
        if creating || input.label != nil {
            asset.label = Check.requiredText(input.label, field: "label", max: 150, errors: &errors)
        }
        if creating || input.kind != nil {
            let raw = (input.kind ?? "").isEmpty ? "image" : input.kind!.lowercased()
            if let kind = AssetKind(rawValue: raw) {
                asset.kindRaw = kind.rawValue
            } else {
                errors.add("kind", "Type invalide : image, logo, favicon ou background.")
            }
        }
        if let raw = input.accountId {
            if raw.isEmpty {
                if scope.isRestricted {
                    errors.add("account_id", "Choisissez un de vos comptes.")
                } else {
                    asset.accountId = nil
                }
            } else if let id = UUID(uuidString: raw),
                try await scope.query(Account.self, on: db).filter(\.$id == id).count() == 1
            {
                asset.accountId = id
            } else {
                errors.add("account_id", "Compte introuvable.")
            }
        } else if creating && scope.isRestricted {
            errors.add("account_id", "Choisissez un de vos comptes.")
        }
    }
}

struct AssetDTO: Content {
    let id: UUID
    let organizationId: UUID
    let accountId: UUID?
    let label: String
    let kind: String
    let contentType: String
    let byteSize: Int
    let url: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, organizationId = "organization_id", accountId = "account_id", label, kind
        case contentType = "content_type", byteSize = "byte_size", url, createdAt = "created_at"
    }

    init(_ a: Asset, base: String = "") {
        id = a.id!
        organizationId = a.organizationId
        accountId = a.accountId
        label = a.label
        kind = a.kindRaw
        contentType = a.format.contentType
        byteSize = a.byteSize
        url = base + a.path
        createdAt = a.createdAt
    }
}
