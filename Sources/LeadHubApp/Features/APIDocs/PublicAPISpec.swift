import Foundation
import LeadHubCore

/// The OpenAPI 3.1 description of the public API (`/api/openapi.json`). The French documentation
/// page (`/docs/api`) is rendered from this same description.
enum PublicAPISpec {
    /// One documented lead field: its JSON name, type, French description and rules.
    struct FieldDoc: Sendable {
        let name: String
        let type: String
        let description: String
        var maxLength: Int? = nil
        var example: JSONValue? = nil
        var enumValues: [String]? = nil
    }

    static let leadFields: [FieldDoc] =
        [
            FieldDoc(
                name: "phone", type: "string",
                description:
                    "Téléphone français, mobile ou fixe, métropole ou outre-mer : 06 12 34 56 78, 0612345678, +33612345678, 0033 6 12 34 56 78. Enregistré au format international (+33612345678). Obligatoire.",
                maxLength: 40, example: .string("06 12 34 56 78")),
            FieldDoc(
                name: "form_code", type: "string",
                description:
                    "Code du formulaire (PV-001…). Obligatoire avec une clé d'organisation ; inutile avec une clé de formulaire.",
                maxLength: 40, example: .string("PV-001")),
            FieldDoc(
                name: "lp_code", type: "string",
                description: "Code de la landing page d'où vient le visiteur (LP-001…).", maxLength: 40,
                example: .string("LP-001")),
            FieldDoc(
                name: "civilite", type: "string", description: "« M » ou « Mme » (Monsieur, Madame acceptés).",
                maxLength: 20, example: .string("Mme")),
            FieldDoc(
                name: "nom", type: "string", description: "Nom de famille.", maxLength: 100, example: .string("Dupont")),
            FieldDoc(name: "prenom", type: "string", description: "Prénom.", maxLength: 100, example: .string("Marie")),
            FieldDoc(
                name: "email", type: "string", description: "Adresse e-mail valide.", maxLength: 254,
                example: .string("marie.dupont@exemple.fr")),
            FieldDoc(
                name: "code_postal", type: "string",
                description: "Code postal à 5 chiffres ; le département en est déduit (20xxx → 2A/2B, 97x → 971…976).",
                maxLength: 10, example: .string("75008")),
            FieldDoc(
                name: "departement", type: "string",
                description:
                    "Département (75, 2A, 974…). S'il est donné avec le code postal, il doit lui correspondre.",
                maxLength: 3, example: .string("75")),
            FieldDoc(name: "ville", type: "string", description: "Ville.", maxLength: 100, example: .string("Paris")),
            FieldDoc(
                name: "adresse", type: "string", description: "Adresse postale.", maxLength: 200,
                example: .string("12 rue de la Paix")),
            FieldDoc(
                name: "type_logement", type: "string", description: "« maison » ou « appartement ».", maxLength: 30,
                example: .string("maison")),
            FieldDoc(
                name: "statut_occupant", type: "string",
                description: "« proprietaire » ou « locataire » (accents acceptés).",
                maxLength: 30, example: .string("proprietaire")),
            FieldDoc(
                name: "surface_habitable", type: "number",
                description: "Surface habitable en m², de 9 à 2 000 (nombre ou texte « 95 m² »).",
                example: .number(95)),
            FieldDoc(
                name: "chauffage_actuel", type: "string", description: "Chauffage actuel (fioul, gaz, électrique…).",
                maxLength: 100, example: .string("fioul")),
            FieldDoc(
                name: "facture_electricite", type: "string", description: "Facture d'électricité (montant ou tranche).",
                maxLength: 50, example: .string("150")),
        ]
        + LeadSubmission.attributionFields.map { name in
            FieldDoc(
                name: name, type: "string",
                description: name == "page_url" || name == "referrer"
                    ? "Attribution : \(name == "page_url" ? "adresse de la page du formulaire" : "page précédente (referrer)")."
                    : "Attribution : \(name).",
                maxLength: name == "page_url" || name == "referrer" ? 2_000 : 500)
        }

    /// An answer with the `Error` body (`{"error", "errors"}`).
    static func errorResponse(_ description: String, headers: [String: Any] = [:]) -> [String: Any] {
        var response: [String: Any] = [
            "description": description,
            "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
        ]
        if !headers.isEmpty { response["headers"] = headers }
        return response
    }

    static func document(serverURL: String) -> [String: Any] {
        var properties: [String: Any] = [:]
        for field in leadFields {
            var schema: [String: Any] = ["description": field.description]
            if field.type == "number" {
                schema["oneOf"] = [["type": "number"], ["type": "string", "maxLength": 10]]
            } else {
                schema["type"] = "string"
            }
            if let max = field.maxLength, field.type == "string" { schema["maxLength"] = max }
            switch field.example {
            case .string(let text)?: schema["examples"] = [text]
            case .number(let number)?: schema["examples"] = [number]
            default: break
            }
            properties[field.name] = schema
        }
        properties["form_id"] = [
            "type": "string", "maxLength": 100,
            "description":
                "Compatibilité première version : identifiant du formulaire (ancien id, id LeadHub ou code), à la place de form_code.",
        ]
        properties["consent"] = [
            "type": "object",
            "description":
                "Preuve du consentement : cases cochées par le visiteur (jamais pré-cochées), texte affiché et page. L'heure et l'adresse IP sont enregistrées par le serveur.",
            "properties": [
                "phone": ["type": "boolean", "description": "Accepte d'être appelé."],
                "email": ["type": "boolean", "description": "Accepte de recevoir des e-mails."],
                "text": ["type": "string", "maxLength": 5_000, "description": "Texte du consentement affiché."],
                "url": ["type": "string", "maxLength": 2_000, "description": "Page où le consentement a été donné."],
                "partners_version": [
                    "type": "string", "maxLength": 100,
                    "description": "Version de la liste des partenaires affichée avec le texte (ex. 2026-11).",
                ],
            ],
        ]
        properties["honeypot"] = [
            "type": "string", "maxLength": 200,
            "description":
                "Champ piège : un champ caché que personne ne voit ni ne remplit. S'il arrive rempli, le lead est celui d'un robot : enregistré, rejeté, jamais envoyé (la réponse ne le dit pas).",
        ]
        properties["form_elapsed_ms"] = [
            "oneOf": [["type": "number"], ["type": "string", "maxLength": 20]],
            "description":
                "Millisecondes entre la première saisie dans le formulaire et l'envoi (le script de suivi l'ajoute). Moins de 10 s abaisse le score qualité.",
        ]
        let error: [String: Any] = [
            "type": "object",
            "required": ["error"],
            "properties": [
                "error": ["type": "string", "description": "Message en français."],
                "success": [
                    "type": "boolean",
                    "description": "Toujours false (lu par le code des pages de la première version).",
                ],
                "detail": ["type": "string", "description": "Le message et les erreurs par champ, en une phrase."],
                "message": ["type": "string", "description": "Comme detail."],
                "errors": [
                    "type": "object", "description": "Erreurs par champ, toutes à la fois.",
                    "additionalProperties": ["type": "array", "items": ["type": "string"]],
                ],
            ],
        ]
        let retryAfter: [String: Any] = [
            "Retry-After": ["description": "Secondes à attendre.", "schema": ["type": "string"]]
        ]
        let accepted: [String: Any] = [
            "type": "object",
            "required": ["id", "status", "form_code", "created_at"],
            "properties": [
                "id": ["type": "string", "format": "uuid"],
                "status": [
                    "type": "string", "enum": ["accepted", "duplicate", "incomplete", "invalid"],
                    "description":
                        "accepted : enregistré ; duplicate : doublon enregistré, jamais envoyé ; incomplete : enregistré malgré un champ manquant ou invalide, à compléter dans « À vérifier » avant envoi ; invalid : enregistré malgré un téléphone illisible.",
                ],
                "duplicate_of": ["type": "string", "format": "uuid", "description": "Lead d'origine (doublon)."],
                "errors": [
                    "type": "object",
                    "description":
                        "Avec incomplete ou invalid : les erreurs par champ, comme une réponse 422, à afficher.",
                    "additionalProperties": ["type": "array", "items": ["type": "string"]],
                ],
                "warnings": [
                    "type": "object",
                    "description":
                        "Le lead est enregistré mais ne sera pas envoyé tel quel (consent : pas d'opt-in téléphonique alors que l'organisation l'exige).",
                    "additionalProperties": ["type": "array", "items": ["type": "string"]],
                ],
                "form_code": ["type": "string"],
                "created_at": ["type": "string", "format": "date-time"],
                "lead_id": ["type": "string", "format": "uuid", "description": "Comme id (première version)."],
                "success": ["type": "boolean", "description": "true : le lead est enregistré (première version)."],
                "message": ["type": "string", "description": "« Lead enregistré » (première version)."],
            ],
        ]
        func text(_ description: String, max: Int) -> [String: Any] {
            ["type": "string", "maxLength": max, "description": description]
        }
        var eventProperties: [String: Any] = [
            "type": [
                "type": "string", "enum": TrackingEventType.allCases.map(\.rawValue),
                "description":
                    "Visite de landing page, clic sur un bouton d'action, premier champ touché, étape d'un formulaire.",
            ],
            "lp_code": text("Code de la landing page (LP-001).", max: 32),
            "form_code": text("Code du formulaire (PV-001) : obligatoire pour form_start et form_step.", max: 32),
            "visitor_id": text("Identifiant du visiteur (lettres, chiffres, . _ -).", max: 64),
            "session_id": text("Identifiant de la session (lettres, chiffres, . _ -).", max: 64),
            "url": text("Adresse de la page (http ou https).", max: 2_000),
            "referrer": text("Page de provenance (http ou https).", max: 2_000),
            "step": ["type": "integer", "minimum": 1, "maximum": 50, "description": "Numéro d'étape (form_step)."],
            "step_id": text("Identifiant de l'écran (form_step ; lettres, chiffres, . _ -).", max: 64),
        ]
        for name in EventSubmission.attributionFields { eventProperties[name] = text("Campagne : \(name).", max: 200) }
        let event: [String: Any] = ["type": "object", "required": ["type"], "properties": eventProperties]
        var batchProperties = eventProperties
        batchProperties["org"] = text("Identifiant de suivi de l'organisation (attribut data-org du script).", max: 64)
        batchProperties["events"] = [
            "type": "array", "minItems": 1, "maxItems": EventSubmission.maxBatch, "items": event,
            "description": "Un lot d'événements (50 au plus) ; sans lot, le corps est lui-même un événement.",
        ]
        let eventsAccepted: [String: Any] = [
            "type": "object", "required": ["accepted", "dropped"],
            "properties": [
                "accepted": ["type": "integer", "description": "Événements acceptés (écrits en moins d'une seconde)."],
                "dropped": ["type": "integer", "description": "Événements ignorés (robots)."],
            ],
        ]
        var document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "LeadHub — API publique",
                "version": LeadHubVersion.current,
                "description":
                    "Réception des leads des landing pages et des partenaires. Un `201` signifie que le lead est enregistré sur disque.",
            ],
            "servers": [["url": serverURL]],
            "security": [["Token": []]],
            "paths": [
                "/api/v1/leads": [
                    "post": [
                        "operationId": "createLead",
                        "summary": "Envoyer un lead",
                        "parameters": [
                            [
                                "name": "Idempotency-Key", "in": "header", "required": false,
                                "description":
                                    "Clé unique par lead (255 caractères au plus), gardée au moins 24 h : renvoyer la même requête rend la même réponse avec `Idempotent-Replayed: true`.",
                                "schema": ["type": "string", "minLength": 1, "maxLength": 255],
                            ]
                        ],
                        "requestBody": [
                            "required": true,
                            "content": [
                                "application/json": [
                                    "schema": [
                                        "type": "object", "required": ["phone"], "properties": properties,
                                        "additionalProperties": [
                                            "description":
                                                "Champs supplémentaires conservés tels quels (30 au plus, valeur de 1 000 caractères au plus).",
                                            "type": ["string", "number", "boolean", "null"],
                                        ],
                                    ]
                                ]
                            ],
                        ],
                        "responses": [
                            "201": [
                                "description":
                                    "Lead enregistré sur disque : nouveau, doublon (jamais envoyé), ou conservé avec ses erreurs (incomplete, invalid) quand l'organisation garde tous les leads.",
                                "headers": [
                                    "Idempotent-Replayed": [
                                        "description": "« true » quand la réponse est celle d'une requête précédente.",
                                        "schema": ["type": "string"],
                                    ]
                                ],
                                "content": ["application/json": ["schema": accepted]],
                            ],
                            "400": errorResponse("JSON illisible ou corps qui n'est pas un objet."),
                            "401": errorResponse("Clé manquante, inconnue ou révoquée."),
                            "403": errorResponse(
                                "Formulaire archivé, ou origine non autorisée pour une clé de formulaire."),
                            "409": errorResponse("Une requête avec la même clé d'idempotence est en cours."),
                            "413": errorResponse("Corps de plus de 64 Ko."),
                            "415": errorResponse("Le corps n'est pas du JSON."),
                            "422": errorResponse(
                                "Champs invalides et rien pour joindre la personne (ni téléphone ni e-mail), ou organisation en mode strict : `errors` donne chaque message ; rien n'est enregistré."
                            ),
                            "429": errorResponse("Trop de requêtes.", headers: retryAfter),
                            "503": errorResponse(
                                "Enregistrement momentanément impossible : réessayer.", headers: retryAfter),
                        ],
                    ]
                ],
                "/api/v1/returns": [
                    "post": [
                        "operationId": "returnLead",
                        "summary": "Retourner un lead livré (CRM acheteur)",
                        "description":
                            "Avec la clé de retours du CRM (`Authorization: Token lhr_…`, créée dans « Retours »). Dans les 7 jours suivant la livraison (réglable), un retour par lead. Un doublon vérifiable est accepté aussitôt ; les autres attendent une décision. Un retour accepté devient un avoir sur la facturation de la période du lead.",
                        "requestBody": [
                            "required": true,
                            "content": [
                                "application/json": [
                                    "schema": [
                                        "type": "object", "required": ["reason"],
                                        "properties": [
                                            "lead_id": [
                                                "type": "string", "format": "uuid",
                                                "description": "Le lead (id de LeadHub). Ou bien phone.",
                                            ],
                                            "phone": [
                                                "type": "string", "maxLength": 40,
                                                "description": "Téléphone du dernier lead livré à ce CRM.",
                                            ],
                                            "product_type": ["type": "string", "maxLength": 20],
                                            "reason": [
                                                "type": "string",
                                                "enum": ReturnReason.allCases.map(\.rawValue),
                                                "description": ReturnReason.allCases.map {
                                                    "\($0.rawValue) : \($0.label)"
                                                }
                                                .joined(separator: " ; "),
                                            ],
                                            "note": [
                                                "type": "string", "maxLength": 1_000,
                                                "description": "Obligatoire avec « autre ».",
                                            ],
                                        ],
                                    ]
                                ]
                            ],
                        ],
                        "responses": [
                            "201": [
                                "description":
                                    "Retour enregistré : status accepted (doublon vérifié) ou pending (à décider).",
                                "content": [
                                    "application/json": [
                                        "schema": [
                                            "type": "object", "required": ["id", "lead_id", "status"],
                                            "properties": [
                                                "id": ["type": "string", "format": "uuid"],
                                                "lead_id": ["type": "string", "format": "uuid"],
                                                "status": ["type": "string", "enum": ["pending", "accepted"]],
                                                "over_cap": [
                                                    "type": "boolean",
                                                    "description": "Au-delà du plafond mensuel de retours du CRM.",
                                                ],
                                            ],
                                        ]
                                    ]
                                ],
                            ],
                            "400": errorResponse("Corps illisible."),
                            "401": errorResponse("Clé de retours manquante ou inconnue."),
                            "422": errorResponse(
                                "Raison inconnue, délai dépassé, lead déjà retourné ou non livré à ce CRM : `errors` donne chaque message."
                            ),
                        ],
                    ]
                ],
                "/api/v1/events": [
                    "post": [
                        "operationId": "trackEvents",
                        "summary": "Envoyer des événements de suivi",
                        "description":
                            "Public (CORS), sans clé : l'organisation est nommée par `org`. Le script /t.js l'appelle avec navigator.sendBeacon en text/plain (même corps JSON). Les user agents de robots sont ignorés ; limite par adresse IP.",
                        "security": [],
                        "requestBody": [
                            "required": true,
                            "content": [
                                "application/json": [
                                    "schema": ["type": "object", "required": ["org"], "properties": batchProperties]
                                ]
                            ],
                        ],
                        "responses": [
                            "202": [
                                "description":
                                    "Événements acceptés, écrits par lots (quelques centaines de millisecondes).",
                                "content": ["application/json": ["schema": eventsAccepted]],
                            ],
                            "400": errorResponse("Corps vide ou JSON illisible."),
                            "413": errorResponse("Corps de plus de 64 Ko."),
                            "415": errorResponse("Ni JSON ni text/plain."),
                            "422": errorResponse(
                                "Événement invalide, organisation ou code inconnu : `errors` donne chaque message."),
                            "429": errorResponse("Trop d'événements depuis cette adresse.", headers: retryAfter),
                            "503": errorResponse(
                                "Trop d'événements en attente d'écriture : réessayer.", headers: retryAfter),
                        ],
                    ]
                ],
                "/health": [
                    "get": [
                        "operationId": "health",
                        "summary": "Le service répond",
                        "security": [],
                        "responses": [
                            "200": [
                                "description": "En service.",
                                "content": [
                                    "application/json": [
                                        "schema": [
                                            "type": "object", "required": ["status"],
                                            "properties": [
                                                "status": ["type": "string"], "version": ["type": "string"],
                                            ],
                                        ]
                                    ]
                                ],
                            ]
                        ],
                    ]
                ],
            ],
            "components": [
                "securitySchemes": [
                    "Token": [
                        "type": "apiKey", "in": "header", "name": "Authorization",
                        "description":
                            "`Token <clé>` : une clé d'organisation (lhk_…, serveurs) ou la clé publiable d'un formulaire (lhf_…, navigateur).",
                    ],
                    "Bearer": [
                        "type": "http", "scheme": "bearer",
                        "description":
                            "API d'administration : `Authorization: Bearer <jeton>` (jeton personnel, « Paramètres » ou POST /api/auth/token).",
                    ],
                ],
                "schemas": ["Error": error],
            ],
        ]
        if var paths = document["paths"] as? [String: Any] {
            paths.merge(campaignPaths()) { current, _ in current }
            document["paths"] = paths
        }
        return document
    }
}
