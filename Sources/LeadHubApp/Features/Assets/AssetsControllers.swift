import Fluent
import Foundation
import LeadHubCore
import Vapor

struct AssetsAPIController {
    struct Filters: Content {
        var kind: String?
        var accountId: UUID?

        enum CodingKeys: String, CodingKey { case kind, accountId = "account_id" }
    }

    @Sendable func index(req: Request) async throws -> ListResponse<AssetDTO> {
        let params = try req.query.decode(ListParams.self)
        let filters = try req.query.decode(Filters.self)
        let page = try await AssetService.filtered(
            kind: filters.kind, accountId: filters.accountId, params: params, scope: try req.tenantScope(), on: req.db
        ).cursorPage(params)
        let base = req.publicBaseURL
        return ListResponse(items: page.items.map { AssetDTO($0, base: base) }, nextCursor: page.nextCursor)
    }

    @Sendable func show(req: Request) async throws -> AssetDTO {
        AssetDTO(
            try await req.tenantScope().find(Asset.self, req.id("asset_id"), on: req.db),
            base: req.publicBaseURL)
    }

    @Sendable func create(req: Request) async throws -> Response {
        guard req.headers.contentType?.type == "multipart" else {
            throw Abort(.unsupportedMediaType, reason: "Envoyez l'image en multipart/form-data (champ « file »).")
        }
        let upload = try req.content.decode(AssetUpload.self)
        let asset = try await AssetService.upload(
            upload, scope: try req.tenantScope(), now: req.now, app: req.application, on: req.db)
        return try await AssetDTO(asset, base: req.publicBaseURL).encodeResponse(status: .created, for: req)
    }

    @Sendable func update(req: Request) async throws -> AssetDTO {
        let input = try req.content.decode(AssetInput.self)
        let asset = try await AssetService.update(
            req.id("asset_id"), input, scope: try req.tenantScope(), now: req.now, on: req.db)
        return AssetDTO(asset, base: req.publicBaseURL)
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        try await AssetService.delete(
            req.id("asset_id"), scope: try req.tenantScope(), now: req.now, app: req.application, on: req.db)
        return .noContent
    }
}

/// `GET /media/{id}.{ext}`: the image files, public (landing pages on other sites load them),
/// with their real content type and a year of caching (a file never changes under its name).
struct MediaController {
    @Sendable func serve(req: Request) async throws -> Response {
        guard let name = req.parameters.get("asset_file"), let dot = name.firstIndex(of: "."),
            let id = UUID(uuidString: String(name[..<dot])),
            let asset = try await Asset.find(id, on: req.db), asset.fileName == name.lowercased()
        else { throw AppError.notFound }
        let etag = "\"\(asset.sha256)\""
        if req.headers.first(name: .ifNoneMatch) == etag {
            return Response(status: .notModified, headers: ["ETag": etag])
        }
        let response = try await req.fileio.asyncStreamFile(at: AssetService.filePath(of: asset, app: req.application))
        response.headers.contentType = HTTPMediaType(
            type: "image", subType: asset.format.contentType.dropFirst(6).description)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=31536000, immutable")
        response.headers.replaceOrAdd(name: .eTag, value: etag)
        response.headers.replaceOrAdd(name: "Cross-Origin-Resource-Policy", value: "cross-origin")
        return response
    }
}

struct AssetsPagesController {
    struct Tile: Encodable {
        let id: String
        let label: String
        let kind: String
        let url: String
        let size: String
        let account: String
    }

    struct Context: Encodable {
        let tiles: [Tile]
        let list: ListChrome
        let kindOptions: [SelectOption]
        let accountOptions: [SelectOption]
        let uploadErrors: FormErrors
        let canEdit: Bool
        let canUploadGlobal: Bool
    }

    @Sendable func index(req: Request) async throws -> Response {
        try await render(req, errors: nil)
    }

    @Sendable func upload(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let upload = try req.content.decode(AssetUpload.self)
        do {
            let asset = try await AssetService.upload(
                upload, scope: scope, now: req.now, app: req.application, on: req.db)
            return req.redirect(to: "/assets", flash: "Image « \(asset.label) » ajoutée.")
        } catch let errors as FieldErrors {
            return try await render(req, errors: errors)
        } catch let abort as Abort where [.payloadTooLarge, .unsupportedMediaType].contains(abort.status) {
            return try await render(req, errors: FieldErrors(["file": [abort.reason]]))
        }
    }

    struct EditForm: Content {
        var label: String?
        var kind: String?
        var accountId: String?
        var action: String?

        enum CodingKeys: String, CodingKey { case label, kind, accountId = "account_id", action }
    }

    @Sendable func change(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try req.content.decode(EditForm.self)
        if form.action == "delete" {
            try await AssetService.delete(
                req.id("asset_id"), scope: scope, now: req.now, app: req.application, on: req.db)
            return req.redirect(to: "/assets", flash: "Image supprimée.")
        }
        var input = AssetInput()
        input.label = form.label
        input.kind = form.kind
        input.accountId = form.accountId
        switch try await attempt({
            try await AssetService.update(req.id("asset_id"), input, scope: scope, now: req.now, on: req.db)
        }) {
        case .success(let asset): return req.redirect(to: "/assets", flash: "Image « \(asset.label) » enregistrée.")
        case .failure(let errors):
            return req.redirect(to: "/assets", flash: errors.summary, error: true)
        }
    }

    private func render(_ req: Request, errors: FieldErrors?) async throws -> Response {
        let scope = try req.tenantScope()
        let params = try req.query.decode(ListParams.self)
        let filters = try req.query.decode(AssetsAPIController.Filters.self)
        let (assets, window) = try await AssetService.filtered(
            kind: filters.kind, accountId: filters.accountId, params: params, scope: scope, on: req.db
        ).sort(\.$createdAt, .descending).numberedPage(params, perPage: 48)
        let accounts = try await scope.query(Account.self, on: req.db).sort(\.$name).all()
        let tiles = assets.map { asset in
            Tile(
                id: asset.id!.uuidString, label: asset.label, kind: asset.kind.label, url: asset.path,
                size: FrenchFormat.integer(max(1, asset.byteSize / 1024)) + " Ko",
                account: accounts.first { $0.id == asset.accountId }?.name ?? "Toutes les marques")
        }
        let list = ListChrome(
            path: "/assets", params: params, window: window, columns: [], currentSort: "",
            extra: ["kind": filters.kind ?? "", "account_id": filters.accountId?.uuidString ?? ""])
        let context = Context(
            tiles: tiles, list: list,
            kindOptions: AssetKind.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == filters.kind)
            },
            accountOptions: accounts.map {
                SelectOption(value: $0.id!.uuidString, label: $0.name, selected: $0.id == filters.accountId)
            },
            uploadErrors: FormErrors(errors), canEdit: scope.role.allows(.edit), canUploadGlobal: !scope.isRestricted)
        return try await req.renderPage(
            "assets/index", title: "Médiathèque", context, status: errors == nil ? .ok : .unprocessableEntity)
    }
}

extension Request {
    /// The organization's images, for the pickers of account, LP and form pages.
    func assetChoices() async throws -> [SelectOption] {
        try await tenantScope().query(Asset.self, on: db).sort(\.$createdAt, .descending).limit(200).all().map {
            SelectOption(value: publicBaseURL + $0.path, label: "\($0.label) (\($0.kind.label))", selected: false)
        }
    }
}
