import Foundation

/// Reading the routing settings of a CRM (commandes, prices, limits, tokens, mapping) from a
/// JSON body or a page form, with a French message per field. Maps are merged per product: a
/// product sent replaces its entry, `null` removes it, products not sent are kept.
public enum CrmRoutingSettings {
    public static func orders(
        _ value: JSONValue?, into current: [String: Order], products: Set<String>, errors: inout FieldErrors
    ) -> [String: Order] {
        guard let value else { return current }
        guard case .object(let entries) = value else {
            errors.add("orders", "Format attendu : {\"PV\": {\"active\": true, \"departements\": [\"75\"]}}.")
            return current
        }
        var result = current
        for (rawCode, entry) in entries {
            let code = rawCode.uppercased()
            guard products.contains(code) else {
                errors.add("orders", "Type de produit inconnu : \(rawCode).")
                continue
            }
            guard case .object(let fields) = entry else {
                if entry == .null {
                    result[code] = nil
                } else {
                    errors.add("orders", "Commande \(code) : objet attendu.")
                }
                continue
            }
            var order = current[code] ?? Order(active: true, departements: [])
            if let active = fields["active"] {
                guard case .bool(let flag) = active else {
                    errors.add("orders", "Commande \(code) : « active » vaut true ou false.")
                    continue
                }
                order.active = flag
            }
            if let list = fields["departements"] {
                guard case .array(let items) = list else {
                    errors.add("orders", "Commande \(code) : « departements » est une liste de codes.")
                    continue
                }
                let codes = items.compactMap(\.text)
                order.departements = departements(codes, field: "orders", label: "Commande \(code)", errors: &errors)
            }
            for (key, keyPath) in [("weekly_quota", \Order.weeklyQuota), ("monthly_quota", \Order.monthlyQuota)] {
                guard let raw = fields[key] else { continue }
                if raw == .null {
                    order[keyPath: keyPath] = nil
                } else if case .number(let number) = raw, number >= 0, number == number.rounded(), number < 10_000_000 {
                    order[keyPath: keyPath] = Int(number)
                } else {
                    errors.add("orders", "Commande \(code) : « \(key) » est un nombre entier positif ou null.")
                }
            }
            result[code] = order
        }
        return result
    }

    /// Valid département codes, in the order of `Departement.all`, without repeats.
    public static func departements(_ raw: [String], field: String, label: String, errors: inout FieldErrors)
        -> [String]
    {
        var wanted = Set<String>()
        for item in raw {
            let code = item.trimmingCharacters(in: .whitespaces).uppercased()
            if code.isEmpty { continue }
            let normalized = code.count == 1 ? "0" + code : code
            if Departement.isValid(normalized) {
                wanted.insert(normalized)
            } else {
                errors.add(field, "\(label) : département inconnu « \(item) ».")
            }
        }
        return Departement.all.filter(wanted.contains)
    }

    public static func prices(
        _ value: JSONValue?, into current: [String: Double], products: Set<String>, errors: inout FieldErrors
    ) -> [String: Double] {
        numbers(value, into: current, products: products, field: "lead_prices", errors: &errors) { number in
            guard number >= 0, number <= 10_000 else { return nil }
            return (number * 100).rounded() / 100
        } message: {
            "Prix \($0) : un montant en euros entre 0 et 10 000."
        }
    }

    public static func limits(
        _ value: JSONValue?, into current: [String: Int], products: Set<String>, errors: inout FieldErrors
    ) -> [String: Int] {
        numbers(value, into: current, products: products, field: "routing_limits", errors: &errors) { number in
            number >= 0 && number == number.rounded() && number < 10_000_000 ? Int(number) : nil
        } message: {
            "Limite \($0) : un nombre entier de leads par mois, 0 ou plus."
        }
    }

    private static func numbers<T>(
        _ value: JSONValue?, into current: [String: T], products: Set<String>, field: String,
        errors: inout FieldErrors, convert: (Double) -> T?, message: (String) -> String
    ) -> [String: T] {
        guard let value else { return current }
        guard case .object(let entries) = value else {
            errors.add(field, "Format attendu : {\"PV\": 25}.")
            return current
        }
        var result = current
        for (rawCode, entry) in entries {
            let code = rawCode.uppercased()
            guard products.contains(code) else {
                errors.add(field, "Type de produit inconnu : \(rawCode).")
                continue
            }
            switch entry {
            case .null: result[code] = nil
            case .number(let number):
                if let converted = convert(number) {
                    result[code] = converted
                } else {
                    errors.add(field, message(code))
                }
            case .string(let text) where Double(text.replacingOccurrences(of: ",", with: ".")) != nil:
                if let converted = convert(Double(text.replacingOccurrences(of: ",", with: "."))!) {
                    result[code] = converted
                } else {
                    errors.add(field, message(code))
                }
            case .string(let text) where text.trimmingCharacters(in: .whitespaces).isEmpty: result[code] = nil
            default: errors.add(field, message(code))
            }
        }
        return result
    }

    /// Tokens per product: a string sets, `null` or "" removes.
    public static func tokens(
        _ value: JSONValue?, into current: [String: String], products: Set<String>, field: String,
        errors: inout FieldErrors
    ) -> [String: String] {
        guard let value else { return current }
        guard case .object(let entries) = value else {
            errors.add(field, "Format attendu : {\"PV\": \"jeton\"}.")
            return current
        }
        var result = current
        for (rawCode, entry) in entries {
            let code = rawCode.uppercased()
            guard products.contains(code) else {
                errors.add(field, "Type de produit inconnu : \(rawCode).")
                continue
            }
            switch entry {
            case .null: result[code] = nil
            case .string(let text):
                let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if token.isEmpty {
                    result[code] = nil
                } else if token.count > 500 || token.contains(where: \.isNewline) {
                    errors.add(field, "Jeton \(code) : 500 caractères au plus, sur une ligne.")
                } else {
                    result[code] = token
                }
            default: errors.add(field, "Jeton \(code) : texte attendu.")
            }
        }
        return result
    }

    /// A flat string map (field mapping, webhook headers), replaced as a whole.
    public static func stringMap(
        _ value: JSONValue?, field: String, allowedKeys: Set<String>?, errors: inout FieldErrors
    ) -> [String: String]? {
        guard let value else { return nil }
        if value == .null { return [:] }
        guard case .object(let entries) = value else {
            errors.add(field, "Format attendu : un objet {\"nom\": \"valeur\"}.")
            return nil
        }
        var result: [String: String] = [:]
        for (key, entry) in entries {
            if let allowedKeys, !allowedKeys.contains(key) {
                errors.add(field, "Champ inconnu : \(key).")
                continue
            }
            guard case .string(let text) = entry, text.count <= 500, !text.contains(where: \.isNewline) else {
                errors.add(field, "\(key) : texte d'une ligne attendu (500 caractères au plus).")
                continue
            }
            result[key] = text.trimmingCharacters(in: .whitespaces)
        }
        return result
    }
}
