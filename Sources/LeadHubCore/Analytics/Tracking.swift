import Foundation

/// What the tracking script records. Leads are not events: they arrive through the lead API and
/// are counted from there.
public enum TrackingEventType: String, CaseIterable, Sendable, Codable {
    case lpVisit = "lp_visit"
    case ctaClick = "cta_click"
    case formStart = "form_start"
    case formStep = "form_step"

    /// The page code an event of this type must name.
    public var needsLandingPage: Bool { self == .lpVisit || self == .ctaClick }
}

/// One validated tracking event, codes upper-cased, texts trimmed and bounded.
public struct TrackingEvent: Sendable, Equatable {
    public var type: TrackingEventType
    public var lpCode: String?
    public var formCode: String?
    public var visitorId: String?
    public var sessionId: String?
    public var url: String?
    public var referrer: String?
    /// utm_source, utm_medium, utm_campaign, utm_content, utm_term, gclid, fbclid: those sent.
    public var attribution: [String: String]
    /// The step number of a `form_step` (1 = first screen).
    public var step: Int?
    /// The screen of a `form_step`, by its stable id (hosted forms, or `step_id` in the API).
    public var stepId: String?

    public init(
        type: TrackingEventType, lpCode: String? = nil, formCode: String? = nil, visitorId: String? = nil,
        sessionId: String? = nil, url: String? = nil, referrer: String? = nil, attribution: [String: String] = [:],
        step: Int? = nil, stepId: String? = nil
    ) {
        self.type = type
        self.lpCode = lpCode
        self.formCode = formCode
        self.visitorId = visitorId
        self.sessionId = sessionId
        self.url = url
        self.referrer = referrer
        self.attribution = attribution
        self.step = step
        self.stepId = stepId
    }
}

/// Validation of `POST /api/v1/events` bodies: one event object, or `{"events": [ … ]}` with at
/// most 50. Errors are keyed by field (`type`), or by position in a batch (`events[2].lp_code`).
public enum EventSubmission {
    public static let maxBatch = 50
    public static let attributionFields = [
        "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid",
    ]
    static let maxCode = 32
    public static let maxId = 64
    static let maxURL = 2_000
    static let maxAttribution = 200

    public static func parse(_ body: JSONValue) -> Result<[TrackingEvent], FieldErrors> {
        guard case .object(let fields) = body else {
            return .failure(FieldErrors(["body": ["Envoyez un objet JSON (un événement, ou {\"events\": […]})."]]))
        }
        guard let batch = fields["events"] else {
            return event(fields, prefix: "").map { [$0] }
        }
        guard case .array(let items) = batch else {
            return .failure(FieldErrors(["events": ["Liste d'événements attendue."]]))
        }
        if items.isEmpty { return .failure(FieldErrors(["events": ["La liste d'événements est vide."]])) }
        if items.count > maxBatch {
            return .failure(
                FieldErrors(["events": ["\(maxBatch) événements au plus par envoi (\(items.count) reçus)."]]))
        }
        var errors = FieldErrors()
        var events: [TrackingEvent] = []
        for (index, item) in items.enumerated() {
            let prefix = "events[\(index)]."
            guard case .object(let itemFields) = item else {
                errors.add("events[\(index)]", "Objet attendu.")
                continue
            }
            switch event(itemFields, prefix: prefix) {
            case .success(let event): events.append(event)
            case .failure(let more): errors.merge(more)
            }
        }
        return errors.isEmpty ? .success(events) : .failure(errors)
    }

    /// Letters, digits, "-", "_" and "." (ASCII).
    /// A session or visitor id as events carry them: 1 to `maxId` identifier bytes.
    public static func isValidId(_ value: String?) -> Bool {
        guard let value, (1...maxId).contains(value.utf8.count) else { return false }
        return value.utf8.allSatisfy(isIdentifierByte)
    }

    public static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default: false
        }
    }

    /// An http(s) address with a host and no whitespace: checked byte by byte (a full URL parse
    /// per event costs more than the rest of the validation).
    static func isWebAddress(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let lower = bytes.prefix(8).map { $0 | 0x20 }
        let prefix: Int
        if lower.starts(with: Array("https://".utf8)) {
            prefix = 8
        } else if lower.starts(with: Array("http://".utf8)) {
            prefix = 7
        } else {
            return false
        }
        guard bytes.count > prefix, bytes[prefix] != UInt8(ascii: "/"), bytes[prefix] != UInt8(ascii: "?") else {
            return false
        }
        return !bytes.contains { $0 <= 0x20 || $0 == 0x7F }
    }

    static func event(_ fields: [String: JSONValue], prefix: String) -> Result<TrackingEvent, FieldErrors> {
        var errors = FieldErrors()
        func text(_ key: String, max: Int) -> String? {
            guard let value = fields[key] else { return nil }
            if case .null = value { return nil }
            guard let raw = value.text else {
                errors.add(prefix + key, "Valeur invalide : texte attendu.")
                return nil
            }
            let trimmed = raw.trimmedText
            if trimmed.isEmpty { return nil }
            if trimmed.isLonger(than: max) {
                errors.add(prefix + key, "\(max) caractères au plus.")
                return nil
            }
            return trimmed
        }
        func identifier(_ key: String) -> String? {
            guard let value = text(key, max: maxId) else { return nil }
            guard value.utf8.allSatisfy(Self.isIdentifierByte) else {
                errors.add(prefix + key, "Identifiant invalide : lettres, chiffres, « - », « _ » et « . » seulement.")
                return nil
            }
            return value
        }
        func code(_ key: String) -> String? {
            guard let value = text(key, max: maxCode) else { return nil }
            guard
                value.utf8.allSatisfy({
                    Self.isIdentifierByte($0) && $0 != UInt8(ascii: "_") && $0 != UInt8(ascii: ".")
                })
            else {
                errors.add(prefix + key, "Code invalide (exemple : LP-001).")
                return nil
            }
            return value.uppercased()
        }
        func link(_ key: String) -> String? {
            guard let value = text(key, max: maxURL) else { return nil }
            guard Self.isWebAddress(value) else {
                errors.add(prefix + key, "Adresse http(s) attendue.")
                return nil
            }
            return value
        }

        var type: TrackingEventType? = nil
        switch fields["type"] {
        case nil, .null?:
            errors.add(prefix + "type", "Type d'événement obligatoire (lp_visit, cta_click, form_start, form_step).")
        case .string(let raw)?:
            type = TrackingEventType(rawValue: raw)
            if type == nil {
                errors.add(
                    prefix + "type",
                    "Type d'événement inconnu : « \(raw.prefix(40)) » (lp_visit, cta_click, form_start, form_step).")
            }
        default:
            errors.add(prefix + "type", "Valeur invalide : texte attendu.")
        }
        let lpCode = code("lp_code")
        let formCode = code("form_code")
        var attribution: [String: String] = [:]
        for key in attributionFields {
            if let value = text(key, max: maxAttribution) { attribution[key] = value }
        }
        var step: Int? = nil
        if let raw = fields["step"], raw != .null {
            if case .number(let number) = raw, number.rounded() == number, (1...50).contains(number) {
                step = Int(number)
            } else {
                errors.add(prefix + "step", "Numéro d'étape entre 1 et 50 attendu.")
            }
        }
        let event = TrackingEvent(
            type: type ?? .lpVisit, lpCode: lpCode, formCode: formCode, visitorId: identifier("visitor_id"),
            sessionId: identifier("session_id"), url: link("url"), referrer: link("referrer"), attribution: attribution,
            step: step, stepId: identifier("step_id"))
        if let type {
            if type.needsLandingPage, lpCode == nil, errors.first(prefix + "lp_code") == nil {
                errors.add(prefix + "lp_code", "Code de la landing page obligatoire pour \(type.rawValue).")
            }
            if !type.needsLandingPage, formCode == nil, errors.first(prefix + "form_code") == nil {
                errors.add(prefix + "form_code", "Code du formulaire obligatoire pour \(type.rawValue).")
            }
            if type == .formStep, step == nil, errors.first(prefix + "step") == nil {
                errors.add(prefix + "step", "Numéro d'étape obligatoire pour form_step.")
            }
        }
        return errors.isEmpty ? .success(event) : .failure(errors)
    }
}

/// Robots are not visitors: their events are dropped (answered 202 all the same, so they learn
/// nothing). An empty user agent counts as a robot; so do headless browsers.
public enum BotFilter {
    static let markers = [
        "bot", "crawl", "spider", "slurp", "headlesschrome", "phantomjs", "lighthouse", "curl/", "wget/",
        "python-requests", "python-urllib", "go-http-client", "httpclient", "java/", "okhttp", "axios/", "node-fetch",
        "facebookexternalhit", "preview", "monitor", "pingdom", "uptime",
    ]

    public static func isBot(userAgent: String?) -> Bool {
        guard let userAgent, !userAgent.trimmingCharacters(in: .whitespaces).isEmpty else { return true }
        let lower = userAgent.lowercased()
        return markers.contains { lower.contains($0) }
    }
}

/// Carrying a visit's attribution from the LP to the form: the form URL gets the session, the
/// visitor, the LP code and the campaign parameters (those already in the form URL win).
public enum AttributionCarry {
    public static let carried = ["lh_session", "lh_visitor", "lp"] + EventSubmission.attributionFields

    /// `formURL` with `parameters` added (names from `carried` only, empty values skipped).
    public static func url(_ formURL: String, adding parameters: [String: String]) -> String {
        guard var components = URLComponents(string: formURL) else { return formURL }
        var items = components.queryItems ?? []
        let present = Set(items.map(\.name))
        for name in carried where !present.contains(name) {
            if let value = parameters[name], !value.isEmpty { items.append(URLQueryItem(name: name, value: value)) }
        }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? formURL
    }
}

/// A visitor's session: it ends after 30 minutes without activity (the tracking script keeps the
/// same rule in the browser).
public enum SessionRule {
    public static let inactivity: TimeInterval = 30 * 60

    /// Whether an activity at `now` continues the session last active at `lastActivity`.
    public static func continues(lastActivity: Date?, now: Date) -> Bool {
        guard let lastActivity else { return false }
        let idle = now.timeIntervalSince(lastActivity)
        return idle >= 0 && idle < inactivity
    }
}
