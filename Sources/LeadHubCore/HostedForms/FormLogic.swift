import Foundation

/// A rule of a screen: when its condition holds on the answers so far, its actions apply.
/// JSON: `{"when": {"all": [{"field": "statut_occupant", "op": "equals", "value": "locataire"}]},
/// "then": [{"disqualify": "non_eligible"}]}`.
public struct FormRule: Codable, Equatable, Sendable {
    public var when: FormCondition
    public var then: [FormAction]

    public init(when: FormCondition, then: [FormAction]) {
        self.when = when
        self.then = then
    }
}

/// A condition on answers and variables: nested `all` / `any` / `not`, and comparisons.
public indirect enum FormCondition: Codable, Equatable, Sendable {
    case all([FormCondition])
    case any([FormCondition])
    case not(FormCondition)
    case compare(FormComparison)

    /// Always true: a rule that applies whatever was answered.
    public static let always = FormCondition.all([])

    enum CodingKeys: String, CodingKey { case all, any, not }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let all = try container.decodeIfPresent([FormCondition].self, forKey: .all) {
            self = .all(all)
        } else if let any = try container.decodeIfPresent([FormCondition].self, forKey: .any) {
            self = .any(any)
        } else if let not = try container.decodeIfPresent(FormCondition.self, forKey: .not) {
            self = .not(not)
        } else {
            self = .compare(try FormComparison(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .all(let items):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .all)
        case .any(let items):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .any)
        case .not(let item):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(item, forKey: .not)
        case .compare(let comparison):
            try comparison.encode(to: encoder)
        }
    }

    public func holds(in answers: FormAnswers) -> Bool {
        switch self {
        case .all(let items): return items.allSatisfy { $0.holds(in: answers) }
        case .any(let items): return items.contains { $0.holds(in: answers) }
        case .not(let item): return !item.holds(in: answers)
        case .compare(let comparison): return comparison.holds(in: answers)
        }
    }

    /// Every field id and variable name the condition reads (to check a definition).
    var references: [(field: String?, variable: String?)] {
        switch self {
        case .all(let items), .any(let items): return items.flatMap(\.references)
        case .not(let item): return item.references
        case .compare(let comparison): return [(comparison.field, comparison.variable)]
        }
    }
}

/// `{"field": "facture", "op": "in", "values": ["100_150", "plus_150"]}`, or on a variable
/// (`"variable": "score"`). Numbers compare as numbers (`greater_than`), texts without case.
public struct FormComparison: Codable, Equatable, Sendable {
    public enum Operator: String, Codable, Sendable, CaseIterable {
        case equals
        case notEquals = "not_equals"
        case isIn = "in"
        case notIn = "not_in"
        case contains
        case answered
        case notAnswered = "not_answered"
        case greaterThan = "greater_than"
        case lessThan = "less_than"

        var needsValue: Bool { self != .answered && self != .notAnswered }
    }

    public var field: String?
    public var variable: String?
    public var op: Operator
    public var value: String?
    public var values: [String]?

    public init(
        field: String? = nil, variable: String? = nil, op: Operator, value: String? = nil, values: [String]? = nil
    ) {
        self.field = field
        self.variable = variable
        self.op = op
        self.value = value
        self.values = values
    }

    public static func field(_ id: String, _ op: Operator, _ value: String? = nil) -> FormCondition {
        .compare(FormComparison(field: id, op: op, value: value))
    }

    public static func field(_ id: String, in values: [String]) -> FormCondition {
        .compare(FormComparison(field: id, op: .isIn, values: values))
    }

    func holds(in answers: FormAnswers) -> Bool {
        let given: [String]
        if let field {
            given = answers.values(of: field)
        } else if let variable, let value = answers.variables[variable] {
            given = [value]
        } else {
            given = []
        }
        let expected = values ?? value.map { [$0] } ?? []
        func same(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }
        switch op {
        case .answered: return !given.isEmpty
        case .notAnswered: return given.isEmpty
        case .equals: return given.count == 1 && expected.contains { same($0, given[0]) }
        case .notEquals: return !(given.count == 1 && expected.contains { same($0, given[0]) })
        case .isIn: return given.contains { answer in expected.contains { same($0, answer) } }
        case .notIn: return !given.contains { answer in expected.contains { same($0, answer) } }
        case .contains: return expected.allSatisfy { wanted in given.contains { same($0, wanted) } }
        case .greaterThan, .lessThan:
            guard let first = given.first, let number = Self.number(first),
                let bound = expected.first.flatMap(Self.number)
            else { return false }
            return op == .greaterThan ? number > bound : number < bound
        }
    }

    static func number(_ text: String) -> Double? {
        Double(text.replacingOccurrences(of: ",", with: ".").trimmingCharacters(in: .whitespaces))
    }
}

/// What a rule does: go to a screen, disqualify (to a disqualification screen), set a variable
/// (sent with the lead), or make a later field required.
public enum FormAction: Codable, Equatable, Sendable {
    case jump(String)
    case disqualify(String)
    case set(String, String)
    case require(String)

    enum CodingKeys: String, CodingKey { case jump, disqualify, set, value, require }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let step = try container.decodeIfPresent(String.self, forKey: .jump) {
            self = .jump(step)
        } else if let step = try container.decodeIfPresent(String.self, forKey: .disqualify) {
            self = .disqualify(step)
        } else if let name = try container.decodeIfPresent(String.self, forKey: .set) {
            self = .set(name, try container.decodeIfPresent(String.self, forKey: .value) ?? "")
        } else if let field = try container.decodeIfPresent(String.self, forKey: .require) {
            self = .require(field)
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "jump, disqualify, set or require expected"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .jump(let step): try container.encode(step, forKey: .jump)
        case .disqualify(let step): try container.encode(step, forKey: .disqualify)
        case .set(let name, let value):
            try container.encode(name, forKey: .set)
            try container.encode(value, forKey: .value)
        case .require(let field): try container.encode(field, forKey: .require)
        }
    }
}
