import Fluent
import Foundation
import LeadHubCore
import Vapor

/// The CSV export of the filtered leads, for French Excel: `;` separator, UTF-8 with a BOM,
/// Europe/Paris times. Streamed page by page, so a large export does not sit in memory.
enum LeadExport {
    static let header = [
        "Date", "Statut", "Formulaire", "Produit", "LP", "Téléphone", "Civilité", "Nom", "Prénom", "E-mail",
        "Code postal", "Département", "Ville", "Adresse", "Type de logement", "Statut d'occupant", "Surface (m²)",
        "Chauffage actuel", "Facture d'électricité", "utm_source", "utm_medium", "utm_campaign",
        "Consentement téléphone",
        "Consentement e-mail", "Archivé", "Identifiant",
    ]

    static func response(for req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        var filters = try req.query.decode(LeadFilters.self)
        filters.limit = 500
        filters.cursor = nil
        _ = try LeadService.filtered(filters, scope: scope, on: req.db)  // reject bad filters before streaming
        let db = req.db
        let start = filters
        let body = Response.Body(asyncStream: { writer in
            do {
                try await writer.writeBuffer(ByteBuffer(bytes: [0xEF, 0xBB, 0xBF]))
                try await writer.writeBuffer(ByteBuffer(string: line(header)))
                var filters = start
                while true {
                    let page = try await LeadService.page(filters, scope: scope, on: db)
                    var chunk = ""
                    for lead in page.items { chunk += line(row(lead)) }
                    try await writer.writeBuffer(ByteBuffer(string: chunk))
                    guard let next = page.nextCursor else { break }
                    filters.cursor = next
                }
                try await writer.write(.end)
            } catch {
                try? await writer.write(.error(error))
            }
        })
        let response = Response(status: .ok, body: body)
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        let stamp = FrenchFormat.dateTime(req.now).prefix(10).replacingOccurrences(of: "/", with: "-")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"leads-\(stamp).csv\"")
        return response
    }

    static func row(_ l: Lead) -> [String] {
        [
            FrenchFormat.dateTime(l.createdAt), LeadStatus(rawValue: l.status)?.label ?? l.status, l.formCode,
            l.productType, l.lpCode ?? "", l.erasedAt == nil ? displayPhone(l.phone) : "",
            l.civilite ?? "", l.nom ?? "", l.prenom ?? "", l.email ?? "", l.codePostal ?? "", l.departement ?? "",
            l.ville ?? "", l.adresse ?? "", l.typeLogement ?? "", l.statutOccupant ?? "",
            l.surfaceHabitable.map(String.init) ?? "", l.chauffageActuel ?? "", l.factureElectricite ?? "",
            l.utmSource ?? "", l.utmMedium ?? "", l.utmCampaign ?? "", l.consentPhone ? "oui" : "non",
            l.consentEmail ? "oui" : "non", l.archivedAt == nil ? "non" : "oui", l.id!.uuidString,
        ]
    }

    /// One CSV line: fields quoted when they hold `;`, quotes or line breaks; formulas neutralized.
    static func line(_ fields: [String]) -> String {
        fields.map { field -> String in
            var value = field
            // A cell starting with = + - @ would run as a formula in Excel.
            if let first = value.first, "=+-@".contains(first), Double(value) == nil { value = "'" + value }
            if value.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                value = "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }.joined(separator: ";") + "\r\n"
    }
}

/// "06 12 34 56 78": how the French write a number, and text for Excel (no lost leading zero).
func displayPhone(_ e164: String) -> String {
    guard case .success(let phone) = FrenchPhone.parse(e164) else { return e164 }
    var out = ""
    for (index, digit) in phone.national.enumerated() {
        if index > 0 && index % 2 == 0 { out.append(" ") }
        out.append(digit)
    }
    return out
}
