import Foundation

/// A product type as seeded for every new organization.
public struct ProductTypeSeed: Sendable, Equatable {
    public var code: String
    public var label: String
    public var aidAmountText: String
    public var aids: [String]
    public var requiredFields: [LeadField]
}

public enum ProductTypeDefaults {
    /// PV, PAC and ITE: the three products of a new organization.
    public static let all: [ProductTypeSeed] = [
        ProductTypeSeed(
            code: "PV", label: "Panneaux solaires photovoltaïques",
            aidAmountText: "Jusqu'à 2 520 € de prime à l'autoconsommation",
            aids: ["Prime à l'autoconsommation", "TVA réduite", "Tarif de rachat EDF OA"],
            requiredFields: [.phone, .nom, .codePostal, .statutOccupant, .typeLogement]),
        ProductTypeSeed(
            code: "PAC", label: "Pompe à chaleur",
            aidAmountText: "Jusqu'à 11 000 € d'aides",
            aids: ["MaPrimeRénov'", "CEE", "TVA réduite", "Éco-PTZ"],
            requiredFields: [.phone, .nom, .codePostal, .statutOccupant, .chauffageActuel]),
        ProductTypeSeed(
            code: "ITE", label: "Isolation thermique par l'extérieur",
            aidAmountText: "Jusqu'à 75 € par m² d'aides",
            aids: ["MaPrimeRénov'", "CEE", "TVA réduite", "Éco-PTZ"],
            requiredFields: [.phone, .nom, .codePostal, .statutOccupant, .surfaceHabitable]),
    ]

    /// A product code: 2 to 10 capital letters or digits, starting with a letter.
    public static func isValidCode(_ code: String) -> Bool {
        guard (2...10).contains(code.count), let first = code.first, first.isLetter else { return false }
        return code.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
