import Foundation

/// The family of a traffic source, used to compare performance across sources.
public enum DiffusionCategory: String, Codable, CaseIterable, Sendable {
    case native, google, facebook, tiktok, other

    public var label: String {
        switch self {
        case .native: "Native"
        case .google: "Google"
        case .facebook: "Facebook"
        case .tiktok: "TikTok"
        case .other: "Autre"
        }
    }
}

/// How a landing page leads to its form (used by LPs; kept here with the other catalog enums).
public enum LeadField: String, CaseIterable, Codable, Sendable {
    case phone, civilite, nom, prenom, email
    case codePostal = "code_postal"
    case departement, ville, adresse
    case typeLogement = "type_logement"
    case statutOccupant = "statut_occupant"
    case surfaceHabitable = "surface_habitable"
    case chauffageActuel = "chauffage_actuel"
    case factureElectricite = "facture_electricite"

    public var label: String {
        switch self {
        case .phone: "Téléphone"
        case .civilite: "Civilité"
        case .nom: "Nom"
        case .prenom: "Prénom"
        case .email: "E-mail"
        case .codePostal: "Code postal"
        case .departement: "Département"
        case .ville: "Ville"
        case .adresse: "Adresse"
        case .typeLogement: "Type de logement"
        case .statutOccupant: "Statut d'occupant"
        case .surfaceHabitable: "Surface habitable"
        case .chauffageActuel: "Chauffage actuel"
        case .factureElectricite: "Facture d'électricité"
        }
    }
}
