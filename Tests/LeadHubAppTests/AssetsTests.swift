import Fluent
import Foundation
import LeadHubCore
import Testing
import Vapor
import VaporTesting

@testable import LeadHubApp

@Suite struct AssetsTests {
    func upload(
        _ t: TestApp, token: String, bytes: [UInt8], filename: String = "image.png", fields: [String: String] = [:]
    ) async throws -> TestingHTTPResponse {
        let boundary = "----leadhub-test"
        var body = ByteBuffer()
        for (key, value) in fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(key)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        body.writeBytes(bytes)
        body.writeString("\r\n--\(boundary)--\r\n")
        var headers = HTTPHeaders()
        headers.bearerAuthorization = BearerAuthorization(token: token)
        headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        return try await t.app.testing().performTest(
            request: TestingHTTPRequest(method: .POST, url: "/api/admin/assets", headers: headers, body: body))
    }

    @Test func uploadRecognizesTheTypeFromTheBytesAndServesItWithLongCache() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            // A PNG named .jpg is still a PNG.
            let response = try await upload(
                t, token: tenant.editorToken, bytes: tinyPNG, filename: "photo.jpg",
                fields: ["label": "Bannière", "kind": "background"])
            #expect(response.status == .created)
            let body = try response.json()
            #expect(body["content_type"] as? String == "image/png")
            #expect(body["kind"] as? String == "background")
            let url = try #require(body["url"] as? String)
            #expect(url.hasSuffix(".png"))
            // An absolute address, ready to paste in a page (from the request's host without a public URL).
            #expect(url.hasPrefix("http://"))
            let path = try #require(URL(string: url)?.path)
            let served = try await t.api(.GET, path)
            #expect(served.status == .ok)
            #expect(served.headers.contentType?.description.hasPrefix("image/png") == true)
            #expect(served.headers.first(name: .cacheControl)?.contains("max-age=31536000") == true)
            #expect(Array(served.body.readableBytesView) == tinyPNG)
            let etag = try #require(served.headers.first(name: .eTag))
            let again = try await t.api(.GET, path, headers: ["If-None-Match": etag])
            #expect(again.status == .notModified)
        }
    }

    @Test func refusesSVGUnknownBytesAndTooLargeFiles() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let svg = try await upload(
                t, token: tenant.editorToken, bytes: Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8),
                filename: "x.png")
            #expect(svg.status == .unsupportedMediaType)
            #expect((try svg.json()["error"] as? String)?.contains("SVG") == true)
            let big = try await upload(
                t, token: tenant.editorToken, bytes: tinyPNG + [UInt8](repeating: 0, count: 5 * 1024 * 1024))
            #expect(big.status == .payloadTooLarge)
            let viewer = try await upload(t, token: tenant.viewerToken, bytes: tinyPNG)
            #expect(viewer.status == .forbidden)
            #expect(try await Asset.query(on: t.db).count() == 1)
        }
    }

    @Test func deletingAnImageRemovesItsFile() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let path = AssetService.filePath(of: tenant.asset, app: t.app)
            #expect(FileManager.default.fileExists(atPath: path))
            let deleted = try await t.api(.DELETE, "/api/admin/assets/\(tenant.asset.id!)", token: tenant.editorToken)
            #expect(deleted.status == .noContent)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try await t.api(.GET, tenant.asset.path).status == .notFound)
        }
    }

    @Test func restrictedUsersSeeGlobalImagesAndTheirAccountsOnly() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let global = try await upload(t, token: tenant.adminToken, bytes: tinyPNG, fields: ["label": "Globale"])
            #expect(global.status == .created)
            let (_, token) = try await t.makeUser(
                in: tenant.id, role: .editor, email: "limite@alpha.test", crmIds: [tenant.otherCrm.id!])
            let labels = try await t.api(.GET, "/api/admin/assets", token: token).items().compactMap {
                $0["label"] as? String
            }
            #expect(labels == ["Globale"])
            let mustChoose = try await upload(t, token: token, bytes: tinyPNG)
            #expect(mustChoose.status == .unprocessableEntity)
            let own = try await upload(
                t, token: token, bytes: tinyPNG, fields: ["account_id": tenant.otherAccount.id!.uuidString])
            #expect(own.status == .created)
        }
    }

    @Test func mediaPageListsImagesAndAccountFormOffersThem() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            let page = try await t.browse(.GET, "/assets", session: session).text
            #expect(page.contains("Alpha Logo"))
            #expect(page.contains(tenant.asset.path))
            let account = try await t.browse(.GET, "/accounts/\(tenant.account.id!)", session: session).text
            #expect(account.contains("<datalist id=\"asset-urls\">"))
            #expect(account.contains(tenant.asset.path))
        }
    }

    @Test func landingPagesAndFormsPickTheirVisualFromTheLibrary() async throws {
        try await TestApp.run { t in
            let tenant = try await t.makeTenant("Alpha")
            let session = try await t.login(email: tenant.admin.email)
            // The pickers offer the library's images as absolute addresses (no public URL set here).
            for path in ["/landing-pages/\(tenant.landingPage.id!)", "/forms/\(tenant.form.id!)"] {
                let page = try await t.browse(.GET, path, session: session).text
                #expect(page.contains("<datalist id=\"asset-urls\">"))
                #expect(page.contains("value=\"http://"))
                #expect(page.contains(tenant.asset.path))
            }
            let image = "https://cdn.alpha.test" + tenant.asset.path
            let lp = try await t.api(
                .PATCH, "/api/admin/lps/\(tenant.landingPage.id!)", token: tenant.editorToken,
                json: ["image_url": image])
            #expect(lp.status == .ok)
            #expect(try lp.json()["image_url"] as? String == image)
            let form = try await t.api(
                .PATCH, "/api/admin/forms/\(tenant.form.id!)", token: tenant.editorToken, json: ["image_url": image])
            #expect(try form.json()["image_url"] as? String == image)
            let bad = try await t.api(
                .PATCH, "/api/admin/forms/\(tenant.form.id!)", token: tenant.editorToken,
                json: ["image_url": "logo.png"])
            #expect(bad.status == .unprocessableEntity)
            #expect((try bad.json()["errors"] as? [String: Any])?["image_url"] != nil)
            // Through the page too, and the card shows the visual.
            let saved = try await t.browse(
                .POST, "/landing-pages/\(tenant.landingPage.id!)", session: session,
                form: [
                    "account_id": tenant.account.id!.uuidString, "code": tenant.landingPage.code, "name": "LP visuel",
                    "kind": "redirect", "image_url": image,
                ])
            #expect(saved.status == .seeOther)
            let cards = try await t.browse(.GET, "/landing-pages", session: session).text
            #expect(cards.contains("class=\"card-image\" src=\"\(image)\""))
            // A duplicate keeps the visual.
            let copy = try await t.api(
                .POST, "/api/admin/forms/\(tenant.form.id!)/duplicate", token: tenant.editorToken)
            #expect(try copy.json()["image_url"] as? String == image)
        }
    }
}
