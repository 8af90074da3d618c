import Foundation

/// A first-version export written by the tests themselves (never a real dump): the collections
/// as `mongoexport` writes them, some as JSON arrays, some as JSON lines, in extended JSON, with
/// the odd cases the import must handle (legacy `sub_account_id`, an unparseable phone, missing
/// fields, an unknown form, a line that does not parse).
struct V1Export {
    static let globalKey = "crm_R7dQ2vN8xK4mP1sT6wY9zA3bC5eF0gH2jL4nV7qX9u"
    static let formKeyPV = "5a1b2c3d-0000-4e5f-8a9b-0c1d2e3f4a5b"
    static let formKeyPAC = "6b2c3d4e-1111-4f60-9bac-1d2e3f4a5b6c"

    enum Id {
        static let zr7 = "crm-zr7-0001"
        static let mdl = "crm-mdl-0002"
        static let accountZ = "acc-z-0001"
        static let accountM = "acc-m-0002"
        static let subAccount = "sub-z-0003"
        static let lp1 = "lp-0001"
        static let lp2 = "lp-0002"
        static let formPV = "form-pv-0001"
        static let formPAC = "form-pac-0002"
        static let admin = "user-admin-01"
        static let viewer = "user-viewer-02"
    }

    /// Every collection file, by name.
    var files: [String: String] = [:]

    static func date(_ text: String) -> [String: Any] { ["$date": text] }

    static func json(_ value: Any) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), encoding: .utf8)!
    }

    mutating func array(_ name: String, _ documents: [[String: Any]]) {
        files[name] = Self.json(documents)
    }

    mutating func lines(_ name: String, _ documents: [[String: Any]], extra: [String] = []) {
        files[name] = (documents.map(Self.json) + extra).joined(separator: "\n") + "\n"
    }

    /// The realistic export: two CRMs, accounts and a legacy sub-account, two LPs, two forms,
    /// users, leads of every status, the queue, tracking, billing and the rest.
    static func realistic() -> V1Export {
        var export = V1Export()
        export.array(
            "system_config",
            [
                [
                    "_id": ["$oid": "65a000000000000000000001"], "type": "global_api_key", "api_key": globalKey,
                    "created_at": "2025-03-01T10:00:00.123456+00:00",
                ],
                ["type": "email_config", "sendgrid_api_key": "SG.x"],
            ])
        export.array(
            "product_types",
            [
                [
                    "id": "pt-1", "name": "Panneaux solaires", "slug": "solaire", "aide_montant": "Jusqu'à 2 520 €",
                    "aides_liste": ["Prime à l'autoconsommation", "TVA 10 %"], "is_active": true,
                ],
                [
                    "id": "pt-2", "name": "Pompe à chaleur", "slug": "pac", "aide_montant": "11 000 €",
                    "aides_liste": ["MaPrimeRénov'"],
                ],
            ])
        export.array(
            "diffusion_sources",
            [
                ["id": "ds-1", "name": "Taboola", "category": "native", "is_active": true],
                ["id": "ds-2", "name": "Google Ads", "category": "google"],
            ])
        export.array(
            "crms",
            [
                [
                    "id": Id.zr7, "name": "ZR7 Digital", "slug": "zr7",
                    "api_url": "http://127.0.0.1:9/lead/api/create_lead/",
                    "commandes": ["PAC": ["75", "92"], "PV": ["13", "2A", "99x"]],
                    "lead_prices": ["PV": 20.0, "PAC": 25.5, "ITE": 30.0], "routing_limits": ["PV": 0, "PAC": 100],
                ],
                [
                    "id": Id.mdl, "name": "Maison du Lead", "slug": "mdl",
                    "api_url": "http://127.0.0.1:9/lead/api/create_lead/",
                    "commandes": ["PV": ["75", "69"], "panneaux": ["33"]], "lead_prices": ["PV": 22.0, "PAC": 28.0],
                    "routing_limits": ["PV": 50],
                ],
            ])
        export.lines(
            "accounts",
            [
                [
                    "_id": ["$oid": "65a000000000000000000010"], "id": Id.accountZ, "crm_id": Id.zr7,
                    "name": "Solaire Direct",
                    "domain": "solaire-direct.fr", "product_types": ["solaire", "pac", "chaudière"],
                    "logo_main_url": "https://cdn.example/logo.png", "primary_color": "#0055AA",
                    "gtm_pixel_header": "<script>/*pixel*/</script>",
                    "gtm_conversion_code": "dataLayer.push({event:'lead'})",
                    "gtm_cta_code": "dataLayer.push({event:'cta'})",
                    "named_redirect_urls": [["name": "Google", "url": "https://solaire-direct.fr/merci-google"]],
                    "default_redirect_url": "https://solaire-direct.fr/merci", "privacy_policy_text": "Vos données…",
                    "legal_mentions_text": "Éditeur : …",
                    "images": [["name": "Bannière", "url": "https://cdn.example/b.jpg"]],
                    "created_at": date("2025-03-02T09:00:00Z"),
                ],
                ["id": Id.accountM, "crm_id": Id.mdl, "name": "Maison Éco", "product_types": ["panneaux"]],
                ["id": "acc-orphan", "crm_id": "crm-disparu", "name": "Compte orphelin"],
            ], extra: ["{\"id\": \"acc-broken\", \"name\": "])
        export.array(
            "sub_accounts",
            [
                [
                    "id": Id.subAccount, "crm_id": Id.zr7, "account_id": Id.accountZ, "name": "Solaire Direct Sud",
                    "product_types": ["solaire"],
                ]
            ])
        export.array(
            "lps",
            [
                [
                    "id": Id.lp1, "account_id": Id.accountZ, "code": "LP-001", "name": "LP Taboola toiture",
                    "url": "https://lp.solaire-direct.fr/toiture", "source_type": "native", "source_name": "Taboola",
                    "lp_type": "redirect", "status": "active",
                ],
                [
                    "id": Id.lp2, "sub_account_id": Id.subAccount, "code": "lp_sud v2", "name": "LP Sud",
                    "url": "https://sud.example/lp", "source_name": "Outbrain", "source_type": "native",
                ],
            ])
        export.array(
            "forms",
            [
                [
                    "id": Id.formPV, "account_id": Id.accountZ, "code": "PV-001", "name": "Formulaire PV toiture",
                    "url": "https://form.solaire-direct.fr/pv", "product_type": "panneaux", "lp_ids": [Id.lp1],
                    "tracking_type": "both", "redirect_url_name": "Google", "crm_api_key": "zr7-token-pv",
                    "internal_api_key": formKeyPV, "exclude_from_routing": false, "status": "active",
                ],
                [
                    "id": Id.formPAC, "sub_account_id": Id.subAccount, "code": "PAC-001", "name": "Formulaire PAC",
                    "product_type": "pompes", "lp_ids": [Id.lp2], "tracking_type": "redirect",
                    "internal_api_key": formKeyPAC, "status": "active",
                ],
            ])
        export.array(
            "users",
            [
                [
                    "id": Id.admin, "email": "Direction@Solaire-Direct.fr",
                    "password": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                    "nom": "Claire Direction", "role": "admin", "allowed_accounts": [],
                ],
                [
                    "id": Id.viewer, "email": "media@solaire-direct.fr", "nom": "Médias", "role": "lecteur-plus",
                    "allowed_accounts": [Id.accountZ, "acc-inconnu"],
                ],
                ["id": "user-bad", "email": "pas-une-adresse"],
            ])
        func lead(_ id: String, _ fields: [String: Any]) -> [String: Any] {
            var base: [String: Any] = [
                "id": id, "form_id": Id.formPV, "form_code": "PV-001", "account_id": Id.accountZ, "product_type": "PV",
                "origin_crm_id": Id.zr7, "target_crm_id": Id.zr7, "routing_reason": "origin_has_order",
                "phone": "0612485378", "nom": "Martin", "prenom": "Jean", "civilite": "M.", "email": "jean@exemple.fr",
                "departement": "13", "code_postal": "13001", "superficie_logement": "120m²", "type_logement": "Maison",
                "statut_occupant": "Propriétaire", "facture_electricite": "150", "lp_code": "LP-001",
                "liaison_code": "LP-001_PV-001", "created_at": "2026-08-14T08:30:00.000000+00:00",
                "register_date": 1_786_000_000, "api_status": "success", "sent_to_crm": true,
                "api_response": "{\"id\": 991}", "ip": "203.0.113.7",
            ]
            for (key, value) in fields { base[key] = value }
            return base
        }
        export.lines(
            "leads",
            [
                lead("lead-1", [:]),
                // Rerouted to MDL: MDL invoices ZR7 at MDL's PV price.
                lead(
                    "lead-2",
                    [
                        "phone": "0698715432", "departement": "75", "code_postal": "75011", "target_crm_id": Id.mdl,
                        "routing_reason": "rerouted_to_mdl", "created_at": date("2026-08-20T10:00:00Z"),
                    ]),
                lead(
                    "lead-3",
                    [
                        "phone": "0698765433", "departement": "69", "code_postal": "69003", "target_crm_id": Id.mdl,
                        "routing_reason": "rerouted_to_mdl", "api_status": "duplicate",
                        "created_at": "2026-08-21T10:00:00",
                    ]),
                lead("lead-4", ["api_status": "duplicate_today", "created_at": "2026-08-14T09:00:00Z"]),
                lead(
                    "lead-5",
                    ["phone": "0611111112", "api_status": "failed", "api_response": "400 code postal manquant"]),
                lead("lead-6", ["phone": "0622222223", "api_status": "queued", "created_at": "2026-09-21T07:00:00Z"]),
                lead("lead-7", ["phone": "12-34", "api_status": "queued", "created_at": "2026-09-21T07:30:00Z"]),
                lead(
                    "lead-8",
                    [
                        "phone": "0633333334", "nom": NSNull(), "email": "pas-un-email", "code_postal": NSNull(),
                        "departement": "92", "product_type": "pompes", "form_id": Id.formPAC, "form_code": "PAC-001",
                        "account_id": NSNull(), "sub_account_id": Id.subAccount, "lp_code": "lp_sud v2",
                        "api_status": "no_config", "created_at": date("2026-09-01T12:00:00.000Z"),
                    ]),
                lead("lead-9", ["form_id": "form-disparu", "form_code": "ZZ-404"]),
                lead("lead-10", ["phone": "0644444445", "api_status": "mystère"]),
            ], extra: ["not json at all"])
        export.array(
            "leads_archived",
            [
                lead(
                    "lead-old-1",
                    [
                        "phone": "0655555556", "created_at": "2025-11-02T10:00:00Z",
                        "archived_at": "2026-02-02T10:00:00Z",
                    ])
            ])
        export.array(
            "lead_queue",
            [
                [
                    "id": "lead-6", "lead_id": "lead-6", "status": "pending", "retry_count": 2,
                    "next_retry_at": "2026-09-21T08:00:00Z", "last_error": "timeout",
                ],
                ["id": "q-ghost", "lead_id": "lead-fantome", "status": "pending", "retry_count": 1],
            ])
        export.lines(
            "tracking",
            [
                ["id": "t-1", "event": "lp_visit", "lp_code": "LP-001", "created_at": "2026-09-21T06:10:00Z"],
                ["id": "t-2", "event": "lp_visit", "lp_code": "LP-001", "created_at": "2026-09-21T06:20:00Z"],
                ["id": "t-3", "event": "lp_visit", "lp_code": "LP-001", "created_at": "2026-08-14T06:20:00Z"],
                [
                    "id": "t-4", "event": "cta_click", "lp_code": "LP-001", "form_code": "PV-001",
                    "created_at": "2026-09-21T06:11:00Z",
                ],
                [
                    "id": "t-5", "event": "form_start", "form_code": "PV-001", "lp_code": "LP-001",
                    "created_at": "2026-09-21T06:12:00Z",
                ],
                ["id": "t-6", "event": "lp_visit", "lp_code": "LP-INCONNUE", "created_at": "2026-09-21T06:12:00Z"],
            ])
        export.array(
            "cta_clicks",
            [
                [
                    "id": "c-1", "lp_code": "LP-001", "domain": "lp.solaire-direct.fr",
                    "created_at": "2026-09-21T06:30:00Z",
                ]
            ])
        export.array(
            "form_starts",
            [
                ["id": "f-1", "form_code": "PV-001", "lp_code": "LP-001", "created_at": "2026-09-21T06:31:00Z"],
                ["id": "f-2", "form_code": "PAC-001", "lp_code": "", "created_at": "2026-09-21T06:32:00Z"],
            ])
        export.array(
            "billing_history",
            [
                [
                    "id": "bill-1", "year": 2026, "month": 7, "from_crm_id": Id.zr7, "to_crm_id": Id.mdl,
                    "amount": 440.0,
                    "lead_count": 20, "notes": "Juillet", "invoiced_at": "2026-08-02T09:00:00Z",
                    "invoiced_by": Id.admin,
                ]
            ])
        export.array(
            "comments",
            [
                [
                    "id": "com-1", "entity_type": "lp", "entity_id": Id.lp1, "content": "Nouvelle accroche testée",
                    "user_id": Id.admin, "created_at": "2026-08-01T09:00:00Z",
                ],
                ["id": "com-2", "entity_type": "form", "entity_id": "form-disparu", "content": "?"],
            ])
        export.array(
            "activity_logs",
            [
                [
                    "id": "act-1", "user_id": Id.admin, "user_email": "direction@solaire-direct.fr", "action": "create",
                    "entity_type": "form", "entity_id": Id.formPV, "details": "Formulaire créé: PV-001",
                    "created_at": "2026-07-01T09:00:00Z",
                ],
                [
                    "id": "act-2", "action": "invoice", "details": "Facturé 7/2026",
                    "created_at": "2026-08-02T09:00:00Z",
                ],
            ])
        export.array(
            "system_alerts",
            [
                [
                    "id": "al-1", "level": "critical", "category": "crm", "message": "ZR7 ne répond plus",
                    "resolved": true,
                    "created_at": "2026-06-01T09:00:00Z",
                ],
                [
                    "id": "al-2", "level": "warning", "category": "queue", "message": "File d'attente chargée",
                    "resolved": false,
                    "created_at": "2026-09-20T09:00:00Z",
                ],
            ])
        export.array(
            "assets",
            [
                [
                    "id": "as-1", "label": "Logo rond", "url": "https://cdn.example/rond.png", "asset_type": "logo",
                    "sub_account_id": Id.accountZ,
                ],
                [
                    "id": "as-2", "label": "Fond global", "url": "https://cdn.example/fond.jpg",
                    "asset_type": "background",
                ],
            ])
        return export
    }

    /// Writes the files into a new temporary folder and returns its path.
    func write() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("v1-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            let ext = text.hasPrefix("[") ? "json" : "json"
            try text.write(to: folder.appendingPathComponent("\(name).\(ext)"), atomically: true, encoding: .utf8)
        }
        return folder.path
    }
}
