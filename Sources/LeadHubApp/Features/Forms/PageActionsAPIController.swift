import Fluent
import LeadHubCore
import Vapor

/// The actions of LPs and forms beyond CRUD: duplicate, archive, reactivate, regenerate the form
/// key, and the comment threads.
struct PageActionsAPIController {
    @Sendable func duplicateForm(req: Request) async throws -> Response {
        let form = try await FormService.duplicate(
            req.id("form_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return try await FormDTO(form).encodeResponse(status: .created, for: req)
    }

    @Sendable func archiveForm(req: Request) async throws -> FormDTO {
        FormDTO(
            try await FormService.setStatus(
                req.id("form_id"), .archived, scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    @Sendable func unarchiveForm(req: Request) async throws -> FormDTO {
        FormDTO(
            try await FormService.setStatus(
                req.id("form_id"), .active, scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    @Sendable func regenerateFormKey(req: Request) async throws -> FormDTO {
        FormDTO(
            try await FormService.regenerateKey(
                req.id("form_id"), scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    @Sendable func duplicateLandingPage(req: Request) async throws -> Response {
        let page = try await LandingPageService.duplicate(
            req.id("landing_page_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return try await LandingPageDTO(page).encodeResponse(status: .created, for: req)
    }

    @Sendable func archiveLandingPage(req: Request) async throws -> LandingPageDTO {
        LandingPageDTO(
            try await LandingPageService.setStatus(
                req.id("landing_page_id"), .archived, scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    @Sendable func unarchiveLandingPage(req: Request) async throws -> LandingPageDTO {
        LandingPageDTO(
            try await LandingPageService.setStatus(
                req.id("landing_page_id"), .active, scope: try req.tenantScope(), now: req.now, on: req.db))
    }

    struct CommentBody: Content {
        var body: String?
    }

    @Sendable func formComments(req: Request) async throws -> ListResponse<CommentDTO> {
        let scope = try req.tenantScope()
        let form = try await scope.find(Form.self, req.id("form_id"), on: req.db)
        let comments = try await CommentService.list(target: try form.requireID(), scope: scope, on: req.db)
        return ListResponse(items: comments.map(CommentDTO.init), nextCursor: nil)
    }

    @Sendable func addFormComment(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let form = try await scope.find(Form.self, req.id("form_id"), on: req.db)
        let body = try req.content.decode(CommentBody.self)
        let comment = try await CommentService.add(
            body.body, targetType: "form", targetId: try form.requireID(), label: "le formulaire \(form.code)",
            user: req.identity?.user, scope: scope, now: req.now, on: req.db)
        return try await CommentDTO(comment).encodeResponse(status: .created, for: req)
    }

    @Sendable func landingPageComments(req: Request) async throws -> ListResponse<CommentDTO> {
        let scope = try req.tenantScope()
        let page = try await scope.find(LandingPage.self, req.id("landing_page_id"), on: req.db)
        let comments = try await CommentService.list(target: try page.requireID(), scope: scope, on: req.db)
        return ListResponse(items: comments.map(CommentDTO.init), nextCursor: nil)
    }

    @Sendable func addLandingPageComment(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let page = try await scope.find(LandingPage.self, req.id("landing_page_id"), on: req.db)
        let body = try req.content.decode(CommentBody.self)
        let comment = try await CommentService.add(
            body.body, targetType: "landing_page", targetId: try page.requireID(),
            label: "la landing page \(page.code)",
            user: req.identity?.user, scope: scope, now: req.now, on: req.db)
        return try await CommentDTO(comment).encodeResponse(status: .created, for: req)
    }

    @Sendable func deleteComment(req: Request) async throws -> HTTPStatus {
        try await CommentService.delete(req.id("comment_id"), scope: try req.tenantScope(), now: req.now, on: req.db)
        return .noContent
    }
}
