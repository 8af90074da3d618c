import Fluent
import Foundation
import LeadHubCore
import Vapor

/// The "Destination et commandes" part of a CRM's page: how it receives leads, and per product
/// its commande (active, départements, quotas), lead price, monthly inter-CRM limit and
/// redistribution token. Posted as flat fields, read through the same rules as the JSON API.
struct CrmRoutingPagesController {
    struct ProductRow: Encodable {
        let code: String
        let label: String
        let active: Bool
        let departements: String
        let weeklyQuota: String
        let monthlyQuota: String
        let price: String
        let limit: String
        let tokenMask: String?
    }

    struct Region: Encodable {
        let name: String
        let codes: String
    }

    struct MappingRow: Encodable {
        let field: String
        let value: String
        var placeholder: String
    }

    struct Context: Encodable {
        let id: String
        let name: String
        let kindOptions: [SelectOption]
        let products: [ProductRow]
        let regions: [Region]
        let france: String
        let mapping: [MappingRow]
        let headerNames: String
        let secretSet: Bool
        let errors: FormErrors
        let canManage: Bool
    }

    @Sendable func show(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let crm = try await scope.find(Crm.self, req.id("crm_id"), on: req.db)
        return try await render(req, crm: crm, form: nil, errors: nil)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let scope = try req.tenantScope()
        let crm = try await scope.find(Crm.self, req.id("crm_id"), on: req.db)
        let form = try req.content.decode([String: String].self)
        let products = try await scope.query(ProductType.self, on: req.db).all().map(\.code)
        var input = CrmInput()
        input.secrets = req.application.secretBox
        input.deliveryKind = form["delivery_kind"]
        var orders: [String: JSONValue] = [:]
        var prices: [String: JSONValue] = [:]
        var limits: [String: JSONValue] = [:]
        var tokens: [String: JSONValue] = [:]
        func number(_ text: String?) -> JSONValue {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return .null }
            if let value = Double(text.replacingOccurrences(of: ",", with: ".")) { return .number(value) }
            return .string(text)
        }
        for code in products {
            let codes = (form["departements_\(code)"] ?? "").split(whereSeparator: { " ,;\n\r\t".contains($0) }).map(
                String.init)
            let active = form["active_\(code)"] == "on"
            if codes.isEmpty && !active && crm.orders[code] == nil {
                // Nothing typed for a product that had no commande: leave it absent.
            } else {
                orders[code] = .object([
                    "active": .bool(active), "departements": .array(codes.map { .string($0) }),
                    "weekly_quota": number(form["weekly_quota_\(code)"]),
                    "monthly_quota": number(form["monthly_quota_\(code)"]),
                ])
            }
            prices[code] = number(form["price_\(code)"])
            limits[code] = number(form["limit_\(code)"])
            if form["clear_token_\(code)"] == "on" {
                tokens[code] = .null
            } else if let token = form["token_\(code)"], !token.trimmingCharacters(in: .whitespaces).isEmpty {
                tokens[code] = .string(token)
            }
        }
        input.orders = .object(orders)
        input.leadPrices = .object(prices)
        input.routingLimits = .object(limits)
        input.redistributionTokens = .object(tokens)
        var mapping: [String: JSONValue] = [:]
        for field in PartnerPayload.mappableFields + ["product_type"] {
            if let value = form["map_\(field)"]?.trimmingCharacters(in: .whitespaces), !value.isEmpty, value != field {
                mapping[field] = .string(value == "-" ? "" : value)
            }
        }
        input.fieldMapping = .object(mapping)
        if let raw = form["webhook_headers"], !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var headers: [String: JSONValue] = [:]
            for line in raw.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { headers[parts[0]] = .string(parts[1]) }
            }
            input.webhookHeaders = .object(headers)
        } else if form["clear_headers"] == "on" {
            input.webhookHeaders = .null
        }
        if form["clear_secret"] == "on" {
            input.webhookSecret = ""
        } else if let secret = form["webhook_secret"], !secret.isEmpty {
            input.webhookSecret = secret
        }
        switch try await attempt({ try await CrmService.update(crm.id, input, scope: scope, now: req.now, on: req.db) })
        {
        case .success(let saved):
            return req.redirect(
                to: "/crms/\(saved.id!.uuidString)/routing",
                flash: "Destination et commandes de « \(saved.name) » enregistrées.")
        case .failure(let errors):
            return try await render(req, crm: crm, form: form, errors: errors)
        }
    }

    private func render(_ req: Request, crm: Crm, form: [String: String]?, errors: FieldErrors?) async throws
        -> Response
    {
        let scope = try req.tenantScope()
        let box = req.application.secretBox
        let products = try await scope.query(ProductType.self, on: req.db).sort(\.$code).all()
        let tokens = box.openMap(crm.redistributionTokensSealed)
        func text(_ value: Int?) -> String { value.map(String.init) ?? "" }
        let rows = products.map { product -> ProductRow in
            let code = product.code
            let order = crm.orders[code]
            if let form {
                return ProductRow(
                    code: code, label: product.label, active: form["active_\(code)"] == "on",
                    departements: form["departements_\(code)"] ?? "", weeklyQuota: form["weekly_quota_\(code)"] ?? "",
                    monthlyQuota: form["monthly_quota_\(code)"] ?? "", price: form["price_\(code)"] ?? "",
                    limit: form["limit_\(code)"] ?? "", tokenMask: tokens[code].map(SecretBox.masked))
            }
            return ProductRow(
                code: code, label: product.label, active: order?.active ?? false,
                departements: order?.departements.joined(separator: " ") ?? "", weeklyQuota: text(order?.weeklyQuota),
                monthlyQuota: text(order?.monthlyQuota),
                price: crm.leadPrices[code].map { String(format: "%.2f", $0).replacingOccurrences(of: ".", with: ",") }
                    ?? "",
                limit: text(crm.routingLimits[code]), tokenMask: tokens[code].map(SecretBox.masked))
        }
        let kind = form?["delivery_kind"] ?? crm.deliveryKindRaw
        let mapping = crm.fieldMapping
        let context = Context(
            id: crm.id!.uuidString, name: crm.name,
            kindOptions: DeliveryKind.allCases.map {
                SelectOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == kind)
            },
            products: rows,
            regions: Departement.regions.map { Region(name: $0.name, codes: $0.codes.joined(separator: " ")) },
            france: Departement.metropolitan.joined(separator: " "),
            mapping: (PartnerPayload.mappableFields + ["product_type"]).map { field in
                MappingRow(
                    field: field, value: form?["map_\(field)"] ?? mapping[field].map { $0.isEmpty ? "-" : $0 } ?? "",
                    placeholder: PartnerPayload.consentFields.contains(field) && crm.deliveryKind != .webhook
                        ? "non transmis" : field)
            },
            headerNames: box.openMap(crm.webhookHeadersSealed).keys.sorted().joined(separator: ", "),
            secretSet: crm.webhookSecretSealed != nil, errors: FormErrors(errors),
            canManage: scope.role.allows(.manageCrms) && scope.canManageWholeCrm(crm.id!))
        return try await req.renderPage(
            "crms/routing", title: "Destination et commandes — \(crm.name)", context,
            status: errors == nil ? .ok : .unprocessableEntity)
    }
}
