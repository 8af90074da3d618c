import Vapor

/// Sidebar sections whose capability comes with a later milestone: a clear "à venir" page, so
/// every link works and says what will be there.
struct UpcomingPagesController {
    struct Context: Encodable {
        let heading: String
        let description: String
        let features: [String]
    }

    static let sections: [String: Context] = [
        "alerts": Context(
            heading: "Alertes",
            description: "Les alertes système : CRM en panne, file qui s'allonge, trafic arrêté.",
            features: ["Résolution manuelle", "Notifications par e-mail"]),
    ]

    let key: String

    @Sendable func show(req: Request) async throws -> Response {
        let context = Self.sections[key]!
        return try await req.renderPage("upcoming/index", title: context.heading, context)
    }
}
