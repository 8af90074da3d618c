import Foundation
import LeadHubCore

/// The A/B campaign part of the description: the public entry link and the admin API, with the
/// figures and the verdict `GET /api/admin/campaigns/{id}` answers.
extension PublicAPISpec {
    static func campaignPaths() -> [String: Any] {
        let number: [String: Any] = ["type": "number"]
        let nullableNumber: [String: Any] = ["type": ["number", "null"]]
        let variant: [String: Any] = [
            "type": "object",
            "required": [
                "id", "position", "name", "code", "weight", "visitors", "leads", "conversion", "probability_best",
            ],
            "properties": [
                "id": ["type": "string", "format": "uuid"],
                "position": ["type": "integer", "description": "0 : la référence (A)."],
                "name": ["type": "string", "description": "A, B, C…"],
                "lp_id": ["type": ["string", "null"], "format": "uuid"],
                "form_id": ["type": ["string", "null"], "format": "uuid"],
                "code": ["type": "string", "description": "Code de la landing page ou du formulaire."],
                "label": ["type": "string"], "url": ["type": ["string", "null"]],
                "weight": ["type": "integer"], "is_control": ["type": "boolean"],
                "visitors": ["type": "integer", "description": "Visiteurs distincts affectés (robots exclus)."],
                "leads": [
                    "type": "integer",
                    "description":
                        "Visiteurs affectés ayant laissé un lead valide sur le formulaire de la campagne après leur affectation (doublons, invalides, incomplets et rejetés exclus).",
                ],
                "exposures": ["type": "integer", "description": "Passages par le lien d'entrée."],
                "conversion": number, "conversion_low": number, "conversion_high": number,
                "probability_best": ["type": "number", "description": "Probabilité d'être la meilleure variante."],
                "probability_beats_control": nullableNumber,
                "lift": ["type": ["number", "null"], "description": "Écart relatif estimé face à A."],
                "lift_low": nullableNumber, "lift_high": nullableNumber,
                "expected_loss": [
                    "type": "number", "description": "Perte attendue relative si l'on choisit cette variante.",
                ],
            ],
        ]
        let verdict: [String: Any] = [
            "type": "object", "required": ["state", "label", "sentence", "to_verify", "sample_ratio_p_value"],
            "properties": [
                "state": ["type": "string", "enum": CampaignVerdict.State.allCases.map(\.rawValue)],
                "label": ["type": "string"],
                "sentence": ["type": "string", "description": "Le verdict en une phrase, avec sa raison."],
                "winner_variant_id": ["type": ["string", "null"], "format": "uuid"],
                "to_verify": ["type": "boolean", "description": "Écart de plus de 50 % : à vérifier."],
                "sample_ratio_p_value": [
                    "type": "number", "description": "Test du χ² de la répartition ; sous 0,001 le verdict est bloqué.",
                ],
                "elapsed_days": number,
            ],
        ]
        let campaign: [String: Any] = [
            "type": "object",
            "required": ["id", "code", "name", "mode", "status", "entry_url", "variants", "verdict", "phases"],
            "properties": [
                "id": ["type": "string", "format": "uuid"], "code": ["type": "string"], "name": ["type": "string"],
                "mode": ["type": "string", "enum": CampaignMode.allCases.map(\.rawValue)],
                "form_id": ["type": ["string", "null"], "format": "uuid"],
                "lp_id": ["type": ["string", "null"], "format": "uuid"],
                "status": ["type": "string", "enum": CampaignStatus.allCases.map(\.rawValue)],
                "status_label": ["type": "string"], "min_days": ["type": "integer"], "max_days": ["type": "integer"],
                "planned_visitors": ["type": ["integer", "null"]],
                "phase": ["type": "integer", "description": "Phase en cours : un changement de poids en ouvre une."],
                "entry_url": ["type": "string", "description": "Le lien d'entrée des annonces (/c/{code}?org=…)."],
                "robots": ["type": "integer"],
                "variants": ["type": "array", "items": variant], "verdict": verdict,
                "phases": [
                    "type": "array",
                    "items": [
                        "type": "object",
                        "properties": [
                            "number": ["type": "integer"], "weights": ["type": "array", "items": ["type": "integer"]],
                            "started_at": ["type": "string", "format": "date-time"],
                            "ended_at": ["type": ["string", "null"], "format": "date-time"],
                        ],
                    ],
                ],
                "days": [
                    "type": "array",
                    "description": "Par jour de la phase : visiteurs et leads cumulés de chaque variante.",
                    "items": [
                        "type": "object",
                        "properties": [
                            "day": ["type": "integer"],
                            "visitors": ["type": "array", "items": ["type": "integer"]],
                            "leads": ["type": "array", "items": ["type": "integer"]],
                        ],
                    ],
                ],
            ],
        ]
        let input: [String: Any] = [
            "type": "object",
            "properties": [
                "name": ["type": "string", "maxLength": 150], "code": ["type": "string", "maxLength": 40],
                "mode": ["type": "string", "enum": CampaignMode.allCases.map(\.rawValue)],
                "form_id": ["type": "string", "format": "uuid", "description": "Mode lps : le formulaire commun."],
                "lp_id": ["type": "string", "format": "uuid", "description": "Mode forms : la landing page commune."],
                "variants": [
                    "type": "array", "minItems": 2, "maxItems": CampaignRules.maxVariants,
                    "description":
                        "La première est la référence. Une fois lancée, seuls les poids changent (nouvelle phase).",
                    "items": [
                        "type": "object",
                        "properties": [
                            "lp_id": ["type": "string", "format": "uuid"],
                            "form_id": ["type": "string", "format": "uuid"],
                            "weight": ["type": "integer", "minimum": 0, "maximum": 1_000],
                        ],
                    ],
                ],
                "min_days": ["type": "integer", "minimum": 1, "maximum": 90, "default": 7],
                "max_days": ["type": "integer", "minimum": 1, "maximum": 365, "default": 28],
                "planned_visitors": ["type": ["integer", "null"], "minimum": CampaignRules.minPlannedVisitors],
            ],
        ]
        let one: [String: Any] = [
            "description": "La campagne, ses chiffres et son verdict.",
            "content": ["application/json": ["schema": campaign]],
        ]
        let admin: [[String: Any]] = [["Bearer": []]]
        let idParameter: [String: Any] = [
            "name": "campaign_id", "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"],
        ]
        let common: [String: Any] = [
            "401": errorResponse("Jeton d'administration manquant ou invalide."),
            "403": errorResponse("Rôle insuffisant (lecteur)."),
            "404": errorResponse("Campagne inconnue dans cette organisation."),
        ]
        func responses(_ main: [String: Any]) -> [String: Any] { main.merging(common) { a, _ in a } }
        func action(_ id: String, _ summary: String, _ description: String) -> [String: Any] {
            [
                "post": [
                    "operationId": id, "summary": summary, "description": description, "security": admin,
                    "parameters": [idParameter],
                    "requestBody": [
                        "required": false,
                        "content": [
                            "application/json": [
                                "schema": [
                                    "type": "object",
                                    "properties": [
                                        "variant_id": ["type": "string", "format": "uuid"],
                                        "note": ["type": "string", "maxLength": 1_000],
                                    ],
                                ]
                            ]
                        ],
                    ],
                    "responses": responses([
                        "200": one, "422": errorResponse("Action impossible dans cet état, ou pas de gagnant établi."),
                    ]),
                ]
            ]
        }
        return [
            "/c/{campaign_code}": [
                "get": [
                    "operationId": "enterCampaign",
                    "summary": "Lien d'entrée d'une campagne A/B (annonces)",
                    "description":
                        "Affecte le visiteur à une variante (SHA-256 de la graine de la campagne et de l'identifiant du visiteur, cookie first-party lh_vid de 13 mois), enregistre l'affectation et la visite, puis redirige (302, Cache-Control: private, no-store) vers la variante avec les paramètres UTM et lh_visitor. Les robots sont redirigés comme tout le monde mais pas comptés.",
                    "security": [],
                    "parameters": [
                        ["name": "campaign_code", "in": "path", "required": true, "schema": ["type": "string"]],
                        [
                            "name": "org", "in": "query", "required": true,
                            "schema": ["type": "string"], "description": "Identifiant de suivi de l'organisation.",
                        ],
                    ],
                    "responses": [
                        "302": [
                            "description": "Vers la variante du visiteur.",
                            "headers": ["Location": ["schema": ["type": "string"]]],
                        ],
                        "404": [
                            "description":
                                "Organisation ou campagne inconnue, ou variante sans adresse : une page d'erreur en français (lien ouvert par un navigateur).",
                            "content": ["text/html": ["schema": ["type": "string"]]],
                        ],
                    ],
                ]
            ],
            "/api/admin/campaigns": [
                "get": [
                    "operationId": "listCampaigns", "summary": "Campagnes A/B", "security": admin,
                    "responses": responses([
                        "200": [
                            "description": "Les campagnes visibles par l'utilisateur, les plus récentes d'abord.",
                            "content": [
                                "application/json": [
                                    "schema": [
                                        "type": "object",
                                        "properties": ["items": ["type": "array", "items": campaign]],
                                    ]
                                ]
                            ],
                        ]
                    ]),
                ],
                "post": [
                    "operationId": "createCampaign", "summary": "Créer une campagne (brouillon)", "security": admin,
                    "requestBody": ["required": true, "content": ["application/json": ["schema": input]]],
                    "responses": responses([
                        "201": one, "400": errorResponse("Corps illisible."),
                        "422": errorResponse("Champs invalides : `errors` donne chaque message."),
                    ]),
                ],
            ],
            "/api/admin/campaigns/{campaign_id}": [
                "get": [
                    "operationId": "showCampaign", "summary": "Une campagne : chiffres par variante et verdict",
                    "security": admin, "parameters": [idParameter], "responses": responses(["200": one]),
                ],
                "patch": [
                    "operationId": "updateCampaign",
                    "summary": "Modifier (brouillon : tout ; lancée : nom, durées, taille, poids)", "security": admin,
                    "parameters": [idParameter],
                    "requestBody": ["required": true, "content": ["application/json": ["schema": input]]],
                    "responses": responses([
                        "200": one, "400": errorResponse("Corps illisible."),
                        "422": errorResponse("Champs invalides : `errors` donne chaque message."),
                    ]),
                ],
                "delete": [
                    "operationId": "deleteCampaign", "summary": "Supprimer une campagne et ses chiffres",
                    "security": admin, "parameters": [idParameter],
                    "responses": responses(["204": ["description": "Supprimée."]]),
                ],
            ],
            "/api/admin/campaigns/{campaign_id}/start": action(
                "startCampaign", "Lancer (ou relancer) la campagne",
                "Les poids sont verrouillés ; la phase 1 commence au premier lancement."),
            "/api/admin/campaigns/{campaign_id}/stop": action(
                "stopCampaign", "Arrêter la campagne", "Le lien d'entrée mène à la variante A, sans compter."),
            "/api/admin/campaigns/{campaign_id}/apply-winner": action(
                "applyCampaignWinner", "Appliquer le gagnant",
                "Tout le trafic va à la variante donnée (variant_id), à défaut au gagnant du verdict ; la décision est enregistrée."
            ),
        ]
    }
}
