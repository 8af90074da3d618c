import Fluent
import LeadHubCore
import Vapor

/// `leadhub demo`: fills the database with a realistic demo organization.
struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Create the demo organization (CRMs, accounts, sources, product types, users)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let lines = try await DemoData.create(app: context.application)
        for line in lines { context.console.print(line) }
    }
}

enum DemoData {
    static let organizationName = "Démo Rénovation Énergie"

    /// Creates the demo organization unless it exists, with `trafficDays` days of traffic
    /// (`LEADHUB_DEMO_TRAFFIC_DAYS` by default, 0 for none); returns what to tell the person.
    static func create(app: Application, trafficDays: Int? = nil) async throws -> [String] {
        let trafficDays = trafficDays ?? app.config.demoTrafficDays
        if try await Organization.query(on: app.db).filter(\.$name == organizationName).first() != nil {
            return ["L'organisation de démonstration « \(organizationName) » existe déjà : rien à faire."]
        }
        let db = app.db
        let org = try await OrganizationService.create(name: organizationName, on: db)
        let orgId = try org.requireID()

        func crm(_ name: String, _ slug: String, _ url: String, _ text: String) async throws -> Crm {
            let crm = Crm()
            crm.organizationId = orgId
            crm.name = name
            crm.slug = slug
            crm.apiURL = url
            crm.details = text
            try await crm.create(on: db)
            return crm
        }
        let zr7 = try await crm(
            "ZR7 Digital", "zr7", DemoPartners.url(for: "zr7"),
            "Plateforme de leads du pôle ZR7 : achète surtout PV et PAC en Île-de-France et dans le Sud.")
        let mdl = try await crm(
            "Maison du Lead", "mdl", DemoPartners.url(for: "mdl"),
            "Plateforme MDL : achète ITE et PAC dans l'Ouest et le Nord.")

        func account(
            _ name: String, crm: Crm, parent: Account? = nil, domain: String, products: [String], color: String,
            secondary: String
        ) async throws -> Account {
            let account = Account()
            account.organizationId = orgId
            account.crmId = try crm.requireID()
            account.parentId = parent?.id
            account.name = name
            account.domain = domain
            account.productTypes = products
            account.primaryColor = color
            account.secondaryColor = secondary
            account.images = [NamedURL(name: "bannière", url: "https://\(domain)/img/banniere.jpg")]
            account.redirectURLs = [
                NamedURL(name: "Google", url: "https://\(domain)/merci-google"),
                NamedURL(name: "Taboola", url: "https://\(domain)/merci-taboola"),
            ]
            account.defaultRedirectURL = "https://\(domain)/merci"
            account.privacyPolicy =
                "Les données collectées par \(name) sont utilisées pour vous recontacter au sujet de votre projet."
            account.legalMentions = "\(name) — SAS au capital de 10 000 €, RCS Paris."
            account.cgu = "En envoyant ce formulaire, vous acceptez d'être recontacté par \(name) et ses partenaires."
            account.gtmHead =
                "<!-- GTM \(name) --><script src=\"https://www.googletagmanager.com/gtm.js?id=GTM-DEMO\"></script>"
            account.gtmCta = "dataLayer.push({event: 'cta_click'});"
            account.gtmConversion = "dataLayer.push({event: 'conversion'});"
            account.crmTokensSealed = try box.sealMap(
                Dictionary(uniqueKeysWithValues: products.map { ($0, "demo-\(Slug.make(name))-\($0.lowercased())") }))
            try await account.create(on: db)
            return account
        }
        // What each CRM buys, its prices and limits, and the tokens the simulated partners expect.
        let box = app.secretBox
        func regions(_ names: [String]) -> [String] {
            Departement.regions.filter { names.contains($0.name) }.flatMap(\.codes)
        }
        zr7.mdlOrZr7Setup(
            orders: [
                "PV": Order(
                    active: true, departements: regions(["Île-de-France", "Provence-Alpes-Côte d'Azur", "Occitanie"]),
                    monthlyQuota: 5_000),
                "PAC": Order(active: true, departements: regions(["Île-de-France", "Auvergne-Rhône-Alpes"])),
            ],
            prices: ["PV": 32, "PAC": 28, "ITE": 22], limits: ["PV": 300, "PAC": 200, "ITE": 100])
        zr7.redistributionTokensSealed = try box.sealMap([
            "PV": "demo-zr7-redis-pv", "PAC": "demo-zr7-redis-pac", "ITE": "demo-zr7-redis-ite",
        ])
        try await zr7.save(on: db)
        mdl.mdlOrZr7Setup(
            orders: [
                "ITE": Order(
                    active: true,
                    departements: regions(["Bretagne", "Pays de la Loire", "Normandie", "Hauts-de-France"])),
                "PAC": Order(
                    active: true, departements: regions(["Bretagne", "Pays de la Loire", "Nouvelle-Aquitaine"]),
                    weeklyQuota: 400),
                "PV": Order(active: true, departements: regions(["Nouvelle-Aquitaine", "Bretagne"])),
            ],
            prices: ["PV": 30, "PAC": 26, "ITE": 24], limits: ["PV": 250, "PAC": 250, "ITE": 150])
        mdl.deliveryKind = .mdl
        mdl.redistributionTokensSealed = try box.sealMap([
            "PV": "demo-mdl-redis-pv", "PAC": "demo-mdl-redis-pac", "ITE": "demo-mdl-redis-ite",
        ])
        try await mdl.save(on: db)

        let solaire = try await account(
            "Solaire Éco France", crm: zr7, domain: "solaire-eco-france.fr", products: ["PV", "PAC"], color: "#f59e0b",
            secondary: "#1e3a8a")
        _ = try await account(
            "Solaire Éco Sud", crm: zr7, parent: solaire, domain: "sud.solaire-eco-france.fr", products: ["PV"],
            color: "#f97316", secondary: "#1e3a8a")
        _ = try await account(
            "Prime Énergie Habitat", crm: zr7, domain: "prime-energie-habitat.fr", products: ["PAC", "ITE"],
            color: "#16a34a", secondary: "#14532d")
        let confort = try await account(
            "Maison Confort Rénov", crm: mdl, domain: "maison-confort-renov.fr", products: ["ITE", "PAC"],
            color: "#0ea5e9", secondary: "#0c4a6e")
        _ = try await account(
            "Confort Rénov Ouest", crm: mdl, parent: confort, domain: "ouest.maison-confort-renov.fr",
            products: ["ITE"], color: "#06b6d4", secondary: "#0c4a6e")
        _ = try await account(
            "Isolation Plus", crm: mdl, domain: "isolation-plus.fr", products: ["ITE"], color: "#8b5cf6",
            secondary: "#3b0764")

        for (name, category) in [
            ("Taboola", DiffusionCategory.native), ("Outbrain", .native), ("Google Ads", .google),
            ("Facebook Ads", .facebook), ("TikTok Ads", .tiktok), ("Partenariat e-mailing", .other),
        ] {
            let source = DiffusionSource()
            source.organizationId = orgId
            source.name = name
            source.category = category
            source.active = true
            try await source.create(on: db)
        }

        let password = app.config.demoPassword ?? Secrets.readablePassword()
        let people: [(String, String, Role, [UUID])] = [
            ("admin@demo.leadhub.fr", "Camille Admin", .admin, []),
            ("editeur@demo.leadhub.fr", "Lucas Éditeur", .editor, []),
            ("lecteur@demo.leadhub.fr", "Inès Lectrice", .viewer, []),
            ("mdl@demo.leadhub.fr", "Hugo MDL", .editor, [try mdl.requireID()]),
        ]
        for (email, name, role, crms) in people {
            let user = try await UserBootstrap.createUser(
                app: app, organization: orgId.uuidString, email: email, password: password, role: role, name: name)
            if !crms.isEmpty {
                user.crmIds = crms
                try await user.save(on: db)
            }
        }
        let sites = try await DemoTraffic.createPages(orgId: orgId, on: db)
        let (events, leads) = try await DemoTraffic.generate(
            app: app, orgId: orgId, sites: sites, days: trafficDays, now: app.clock.now())
        return [
            "Organisation de démonstration « \(organizationName) » créée :",
            "  2 CRMs (ZR7 Digital, Maison du Lead), 6 comptes dont 2 sous-comptes, 6 sources, 3 types de produit,",
            "  \(sites.count) landing pages et leurs formulaires ; \(trafficDays) jours de trafic : "
                + "\(FrenchFormat.integer(events)) événements, \(FrenchFormat.integer(leads)) leads (livrés par les partenaires simulés de `serve --demo`),",
            "  une campagne A/B de deux landing pages en cours depuis \(DemoCampaign.days) jours (AB-001).",
            "  Utilisateurs (mot de passe commun : \(password)) :",
            "    admin@demo.leadhub.fr (administrateur), editeur@demo.leadhub.fr (éditeur),",
            "    lecteur@demo.leadhub.fr (lecteur), mdl@demo.leadhub.fr (éditeur limité au CRM Maison du Lead).",
        ]
    }
}

extension Crm {
    /// The demo's commandes, prices and limits.
    fileprivate func mdlOrZr7Setup(orders: [String: Order], prices: [String: Double], limits: [String: Int]) {
        self.orders = orders
        leadPrices = prices
        routingLimits = limits
    }
}
