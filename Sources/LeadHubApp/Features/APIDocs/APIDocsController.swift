import Foundation
import Vapor

/// `/api/openapi.json` and the French documentation page `/docs/api`, rendered from the same
/// description.
struct APIDocsController {
    static func serverURL(_ req: Request) -> String { req.publicBaseURL }

    @Sendable func openAPI(req: Request) async throws -> Response {
        let document = PublicAPISpec.document(serverURL: Self.serverURL(req))
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .accessControlAllowOrigin, value: "*")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }

    struct FieldRow: Encodable {
        let name: String
        let type: String
        let description: String
        let maxLength: String
        let required: Bool
    }

    struct StatusRow: Encodable {
        let code: String
        let description: String
    }

    struct Context: Encodable {
        let server: String
        let fields: [FieldRow]
        let statuses: [StatusRow]
        let curlExample: String
        let fetchExample: String
        let version: String
    }

    @Sendable func page(req: Request) async throws -> View {
        let server = Self.serverURL(req)
        let document = PublicAPISpec.document(serverURL: server)
        let post =
            (((document["paths"] as? [String: Any])?["/api/v1/leads"] as? [String: Any])?["post"] as? [String: Any])
            ?? [:]
        let responses = post["responses"] as? [String: Any] ?? [:]
        let statuses = responses.keys.sorted().map { code in
            StatusRow(code: code, description: (responses[code] as? [String: Any])?["description"] as? String ?? "")
        }
        let fields = PublicAPISpec.leadFields.map { field in
            FieldRow(
                name: field.name, type: field.type == "number" ? "nombre" : "texte", description: field.description,
                maxLength: field.maxLength.map { "\($0)" } ?? "—", required: field.name == "phone")
        }
        let curl = """
            curl -X POST \(server)/api/v1/leads \\
              -H "Authorization: Token lhk_VOTRE_CLE" \\
              -H "Content-Type: application/json" \\
              -H "Idempotency-Key: 7f1c2d3e-commande-42" \\
              -d '{"form_code": "PV-001", "phone": "06 12 34 56 78", "nom": "Dupont", "prenom": "Marie",
                   "code_postal": "75008", "statut_occupant": "proprietaire", "type_logement": "maison",
                   "lp_code": "LP-001", "utm_source": "taboola",
                   "consent": {"phone": true, "email": false, "text": "J'accepte d'être rappelé…", "url": "https://…"}}'
            """
        let fetch = """
            const answer = await fetch("\(server)/api/v1/leads", {
              method: "POST",
              headers: {"Content-Type": "application/json", "Authorization": "Token lhf_CLE_DU_FORMULAIRE"},
              body: JSON.stringify({
                phone: form.phone.value, nom: form.nom.value, code_postal: form.code_postal.value,
                lp_code: new URLSearchParams(location.search).get("lp"),
                consent: {phone: form.consent_phone.checked, email: form.consent_email.checked,
                          text: document.querySelector("#consent-text").textContent, url: location.href}
              })
            });
            if (answer.status === 201) { location.href = "/merci"; }
            else if (answer.status === 422) { const {errors} = await answer.json(); /* afficher errors.phone… */ }
            """
        return try await req.view.render(
            "docs/api",
            Context(
                server: server, fields: fields, statuses: statuses, curlExample: curl, fetchExample: fetch,
                version: PublicAPISpec.document(serverURL: server)["info"].flatMap {
                    ($0 as? [String: Any])?["version"] as? String
                } ?? ""))
    }
}
