import Foundation

/// The verdict of an A/B campaign, right however often it is read: Bayesian probability of being
/// better and expected loss for the reading, an always-valid confidence sequence so that daily
/// looks do not manufacture winners, a sample-ratio check, and guards on size and duration.
public enum CampaignVerdict {
    /// The rules, as constants the tests and the documentation name.
    public enum Rules {
        public static let minVisitorsPerVariant = 100
        public static let minLeadsPerVariant = 25
        public static let winningProbability = 0.95
        /// Family-wise α of the confidence sequences, split across the winner's comparisons.
        public static let alpha = 0.10
        /// The expected loss of the winner, relative to its own conversion, must stay below this.
        public static let maxRelativeLoss = 0.0075
        /// A lift above this is flagged « à vérifier ».
        public static let suspiciousLift = 0.50
        /// Sample-ratio mismatch: a χ² p-value below this blocks the verdict.
        public static let sampleRatioPValue = 0.001
        /// The confidence sequence is tuned for effects of this size relative to the pooled rate.
        public static let mixingRelativeEffect = 0.25
        /// Draws of the simulation with more than two variants.
        public static let simulationDraws = 20_000
        public static let defaultMinDays = 7
        public static let defaultMaxDays = 28
    }

    public struct Arm: Sendable, Equatable {
        public let name: String
        public let weight: Int
        /// Distinct visitors assigned (bots excluded).
        public let visitors: Int
        /// Distinct assigned visitors who left a valid lead (duplicates excluded).
        public let leads: Int

        public init(name: String, weight: Int, visitors: Int, leads: Int) {
            self.name = name
            self.weight = weight
            self.visitors = visitors
            self.leads = min(leads, visitors)
        }
    }

    public struct Input: Sendable, Equatable {
        /// The variants, the control (reference) first.
        public let arms: [Arm]
        public let elapsedDays: Double
        public let minDays: Int
        public let maxDays: Int
        public let plannedVisitors: Int?
        public let seed: UInt64

        public init(
            arms: [Arm], elapsedDays: Double, minDays: Int = Rules.defaultMinDays, maxDays: Int = Rules.defaultMaxDays,
            plannedVisitors: Int? = nil, seed: UInt64 = 1
        ) {
            self.arms = arms
            self.elapsedDays = elapsedDays
            self.minDays = minDays
            self.maxDays = max(maxDays, minDays)
            self.plannedVisitors = plannedVisitors
            self.seed = seed
        }
    }

    public enum State: String, Codable, Sendable, CaseIterable {
        case tooEarly = "too_early"
        case sampleRatioMismatch = "sample_ratio_mismatch"
        case collecting = "collecting"
        case winner = "winner"
        case noDetectableDifference = "no_detectable_difference"

        public var label: String {
            switch self {
            case .tooEarly: "Trop tôt"
            case .sampleRatioMismatch: "Répartition anormale"
            case .collecting: "Pas encore de gagnant"
            case .winner: "Gagnant"
            case .noDetectableDifference: "Aucune différence détectable"
            }
        }
    }

    public struct ArmResult: Sendable, Equatable {
        public let name: String
        public let visitors: Int
        public let leads: Int
        public let conversion: Double
        /// 95 % Wilson interval of the conversion.
        public let conversionLow: Double
        public let conversionHigh: Double
        /// Probability of being the best variant (two variants: exact).
        public let probabilityBest: Double
        /// Probability of beating the control (nil for the control itself).
        public let probabilityBeatsControl: Double?
        /// Relative lift over the control, with the range of the always-valid interval.
        public let lift: Double?
        public let liftLow: Double?
        public let liftHigh: Double?
        /// Expected loss of choosing this variant, relative to its own conversion.
        public let expectedLoss: Double
    }

    public struct Outcome: Sendable, Equatable {
        public let state: State
        /// Index of the winning arm when `state == .winner`.
        public let winner: Int?
        /// The verdict in one French sentence, with its reason.
        public let sentence: String
        /// A lift too large to be believed without a look (« à vérifier »).
        public let toVerify: Bool
        public let sampleRatioPValue: Double
        public let arms: [ArmResult]

        /// The same figures with another verdict (a campaign not started yet).
        public func replacing(state: State, sentence: String) -> Outcome {
            Outcome(
                state: state, winner: nil, sentence: sentence, toVerify: false, sampleRatioPValue: sampleRatioPValue,
                arms: arms)
        }
    }

    public static func evaluate(_ input: Input) -> Outcome {
        let arms = input.arms
        guard arms.count >= 2 else {
            return Outcome(
                state: .tooEarly, winner: nil, sentence: "Il faut au moins deux variantes.", toVerify: false,
                sampleRatioPValue: 1, arms: [])
        }
        let posteriors = arms.map { CampaignStatistics.Posterior(conversions: $0.leads, visitors: $0.visitors) }
        var probabilityBest: [Double]
        var losses: [Double]
        if arms.count == 2 {
            let bBeatsA = CampaignStatistics.probabilityGreater(posteriors[1], than: posteriors[0])
            probabilityBest = [1 - bBeatsA, bBeatsA]
            losses = [
                CampaignStatistics.expectedLoss(choosing: posteriors[0], over: posteriors[1]),
                CampaignStatistics.expectedLoss(choosing: posteriors[1], over: posteriors[0]),
            ]
        } else {
            let simulated = CampaignStatistics.simulateBest(
                posteriors, draws: Rules.simulationDraws, seed: input.seed)
            probabilityBest = simulated.probabilityBest
            losses = simulated.expectedLoss
        }
        let relativeLoss = zip(losses, posteriors).map { $0 / max($1.mean, 1e-9) }

        let comparisons = Double(arms.count - 1)
        let pooled =
            Double(arms.reduce(0) { $0 + $1.leads }) / Double(max(1, arms.reduce(0) { $0 + $1.visitors }))
        let tau = max(Rules.mixingRelativeEffect * pooled, 1e-4)
        func sequence(_ chosen: Int, against other: Int) -> (difference: Double, low: Double, high: Double) {
            CampaignStatistics.confidenceSequence(
                conversionsA: arms[other].leads, visitorsA: arms[other].visitors,
                conversionsB: arms[chosen].leads, visitorsB: arms[chosen].visitors,
                alpha: Rules.alpha / comparisons, mixingSD: tau)
        }

        let control = arms[0]
        let controlRate = control.visitors > 0 ? Double(control.leads) / Double(control.visitors) : 0
        let results = arms.enumerated().map { index, arm -> ArmResult in
            let rate = arm.visitors > 0 ? Double(arm.leads) / Double(arm.visitors) : 0
            let interval = CampaignStatistics.wilson(successes: arm.leads, trials: arm.visitors)
            var lift: Double?
            var liftLow: Double?
            var liftHigh: Double?
            var beats: Double?
            if index > 0 {
                beats =
                    arms.count == 2
                    ? probabilityBest[1]
                    : CampaignStatistics.probabilityGreater(posteriors[index], than: posteriors[0])
                if controlRate > 0 {
                    let range = sequence(index, against: 0)
                    lift = range.difference / controlRate
                    liftLow = range.low / controlRate
                    liftHigh = range.high / controlRate
                }
            }
            return ArmResult(
                name: arm.name, visitors: arm.visitors, leads: arm.leads, conversion: rate,
                conversionLow: interval.lowerBound, conversionHigh: interval.upperBound,
                probabilityBest: probabilityBest[index], probabilityBeatsControl: beats, lift: lift,
                liftLow: liftLow, liftHigh: liftHigh, expectedLoss: relativeLoss[index])
        }

        let srm = CampaignStatistics.chiSquare(observed: arms.map(\.visitors), weights: arms.map(\.weight))
        func outcome(_ state: State, winner: Int? = nil, _ sentence: String, toVerify: Bool = false) -> Outcome {
            Outcome(
                state: state, winner: winner, sentence: sentence, toVerify: toVerify, sampleRatioPValue: srm.pValue,
                arms: results)
        }

        // 1. Guards: size and duration.
        var missing = [String]()
        let small = arms.filter { $0.visitors < Rules.minVisitorsPerVariant || $0.leads < Rules.minLeadsPerVariant }
        if !small.isEmpty {
            missing.append(
                "au moins \(Rules.minVisitorsPerVariant) visiteurs et \(Rules.minLeadsPerVariant) leads par variante ("
                    + small.map {
                        "\($0.name) : \(FrenchFormat.integer($0.visitors)) visiteur\($0.visitors > 1 ? "s" : ""), \(FrenchFormat.integer($0.leads)) lead\($0.leads > 1 ? "s" : "")"
                    }.joined(separator: " ; ") + ")")
        }
        if input.elapsedDays < Double(input.minDays) {
            let day = Int(input.elapsedDays.rounded(.down)) + 1
            missing.append("\(input.minDays) jours de campagne (jour \(day) sur \(input.minDays))")
        }
        let atEnd =
            input.elapsedDays >= Double(input.maxDays)
            || (input.plannedVisitors.map { $0 > 0 && arms.reduce(0) { $0 + $1.visitors } >= $0 } ?? false)

        // 2. Sample-ratio mismatch blocks everything: the split is broken, the numbers are not comparable.
        if srm.pValue < Rules.sampleRatioPValue, arms.reduce(0, { $0 + $1.visitors }) > 0 {
            let total = Double(arms.reduce(0) { $0 + $1.visitors })
            let weightSum = Double(max(1, arms.reduce(0) { $0 + $1.weight }))
            let detail = arms.map {
                "\($0.name) : \(FrenchFormat.integer($0.visitors)) pour \(FrenchFormat.integer(Int((total * Double($0.weight) / weightSum).rounded()))) attendus"
            }.joined(separator: " ; ")
            return outcome(
                .sampleRatioMismatch,
                "Pas de verdict : la répartition des visiteurs ne suit pas les poids (\(detail) ; p = \(FrenchFormat.probability(srm.pValue))). Vérifier le lien d'entrée, les redirections et les filtres avant de lire les résultats."
            )
        }
        if !missing.isEmpty {
            if atEnd {
                return outcome(
                    .noDetectableDifference,
                    "Aucune différence détectable : la durée maximale est atteinte sans \(missing.joined(separator: " ni "))."
                )
            }
            return outcome(.tooEarly, "Trop tôt pour conclure : il faut \(missing.joined(separator: " et ")).")
        }

        // 3. The candidate: the most probable best.
        let best = probabilityBest.indices.max { probabilityBest[$0] < probabilityBest[$1] } ?? 0
        let others = arms.indices.filter { $0 != best }
        let intervals = others.map { sequence(best, against: $0) }
        let clear = intervals.allSatisfy { $0.low > 0 }
        let probable = probabilityBest[best] >= Rules.winningProbability
        let cheap = relativeLoss[best] <= Rules.maxRelativeLoss
        let name = arms[best].name
        let chance = FrenchFormat.percent(probabilityBest[best], decimals: 1)

        if probable && clear && cheap {
            let reference = best == 0 ? others.max { results[$0].conversion < results[$1].conversion }! : 0
            let range = sequence(best, against: reference)
            let base = max(results[reference].conversion, 1e-9)
            let lift = range.difference / base
            let toVerify = lift > Rules.suspiciousLift
            let against = best == 0 ? "la meilleure autre variante (\(arms[reference].name))" : arms[0].name
            var sentence =
                "\(name) gagne : \(chance) de chances d'être la meilleure, \(FrenchFormat.signedPercent(lift)) de conversion face à \(against) (entre \(FrenchFormat.signedPercent(range.low / base)) et \(FrenchFormat.signedPercent(range.high / base))), perte attendue \(FrenchFormat.percent(relativeLoss[best], decimals: 2))."
            if toVerify {
                sentence +=
                    " À vérifier : un écart de plus de \(FrenchFormat.percent(Rules.suspiciousLift, decimals: 0)) est rare ; contrôler le suivi et la répartition avant d'appliquer."
            }
            return outcome(.winner, winner: best, sentence, toVerify: toVerify)
        }
        if atEnd {
            return outcome(
                .noDetectableDifference,
                "Aucune différence détectable : la durée maximale est atteinte sans gagnant net (\(name) en tête avec \(chance) de chances d'être la meilleure). Garder la variante la plus simple."
            )
        }
        var why = [String]()
        if !probable {
            why.append(
                "\(chance) de chances d'être la meilleure pour \(name), il en faut \(FrenchFormat.percent(Rules.winningProbability, decimals: 0))"
            )
        }
        if !clear { why.append("l'écart n'est pas encore sûr (intervalle toujours valide contenant zéro)") }
        if !cheap {
            why.append(
                "perte attendue \(FrenchFormat.percent(relativeLoss[best], decimals: 2)) (maximum \(FrenchFormat.percent(Rules.maxRelativeLoss, decimals: 2)))"
            )
        }
        return outcome(.collecting, "Pas encore de gagnant : \(why.joined(separator: " ; ")). Continuer la campagne.")
    }
}

extension FrenchFormat {
    /// 0.0423 → "4,2 %" (no-break space before %).
    public static func percent(_ fraction: Double, decimals: Int = 1) -> String {
        guard fraction.isFinite else { return "–" }
        let text = String(format: "%.\(decimals)f", fraction * 100).replacingOccurrences(of: ".", with: ",")
        return (text.hasPrefix("-") ? "-" : "") + text.trimmingCharacters(in: ["-"]) + "\u{00A0}%"
    }

    /// 0.123 → "+12,3 %", -0.05 → "-5,0 %".
    public static func signedPercent(_ fraction: Double, decimals: Int = 1) -> String {
        (fraction >= 0 ? "+" : "") + percent(fraction, decimals: decimals)
    }

    /// A small probability written so that 0.0002 does not read 0,0.
    public static func probability(_ value: Double) -> String {
        if value < 0.0001 { return "< 0,0001" }
        return String(format: value < 0.01 ? "%.4f" : "%.3f", value).replacingOccurrences(of: ".", with: ",")
    }
}
