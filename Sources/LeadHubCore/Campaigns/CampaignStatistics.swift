import Foundation

/// The probability tools behind an A/B campaign's verdict: Beta posteriors of conversion rates,
/// the exact probability that one beats another, expected loss, a Wilson interval, the χ² survival
/// function for the sample-ratio check, an always-valid confidence sequence on a difference, and a
/// seeded generator for the simulations. Pure functions, no I/O.
public enum CampaignStatistics {
    /// The Beta(1 + x, 1 + n − x) posterior of a conversion rate after x conversions in n visitors
    /// (uniform prior). Both parameters are whole numbers, which the exact formulas below need.
    public struct Posterior: Sendable, Equatable {
        public let alpha: Int
        public let beta: Int

        public init(alpha: Int, beta: Int) {
            self.alpha = max(1, alpha)
            self.beta = max(1, beta)
        }

        public init(conversions: Int, visitors: Int) {
            let x = max(0, min(conversions, visitors))
            self.init(alpha: 1 + x, beta: 1 + max(0, visitors) - x)
        }

        public var mean: Double { Double(alpha) / Double(alpha + beta) }

        /// The size-biased posterior (density ∝ p · f(p)): Beta(α + 1, β).
        var sizeBiased: Posterior { Posterior(alpha: alpha + 1, beta: beta) }
    }

    static func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }

    /// Exact P(X > Y) for X ~ `x`, Y ~ `y` (Evan Miller's closed form, summed in log space so large
    /// counts neither underflow nor lose precision). The sum runs over the smaller whole α.
    public static func probabilityGreater(_ x: Posterior, than y: Posterior) -> Double {
        if x.alpha > y.alpha { return 1 - probabilityGreater(y, than: x) }
        // P(X > Y) = Σ_{i=0}^{αx−1} B(αy+i, βy+βx) / ((βx+i) B(1+i, βx) B(αy, βy))
        let ay = Double(y.alpha)
        let by = Double(y.beta)
        let bx = Double(x.beta)
        var logTerm = logBeta(ay, by + bx) - logBeta(ay, by)  // i = 0, since B(1, βx) = 1/βx
        var logs = [Double]()
        logs.reserveCapacity(x.alpha)
        logs.append(logTerm)
        var i = 0.0
        while Int(i) < x.alpha - 1 {
            // term(i+1) / term(i) = (αy+i)(βx+i) / ((αy+βy+βx+i)(1+i))
            logTerm += log((ay + i) * (bx + i)) - log((ay + by + bx + i) * (1 + i))
            logs.append(logTerm)
            i += 1
        }
        let top = logs.max() ?? 0
        let sum = logs.reduce(0) { $0 + exp($1 - top) }
        return min(1, max(0, exp(top) * sum))
    }

    /// Expected loss of choosing `chosen` when `other` may be better: E[max(p_other − p_chosen, 0)],
    /// exact, from the size-biased posteriors.
    public static func expectedLoss(choosing chosen: Posterior, over other: Posterior) -> Double {
        let a = other.mean * probabilityGreater(other.sizeBiased, than: chosen)
        let b = chosen.mean * probabilityGreater(other, than: chosen.sizeBiased)
        return max(0, a - b)
    }

    /// Wilson score interval of a proportion (95 % by default).
    public static func wilson(successes x: Int, trials n: Int, z: Double = 1.959_963_985) -> ClosedRange<Double> {
        guard n > 0 else { return 0...1 }
        let p = Double(x) / Double(n)
        let nn = Double(n)
        let denominator = 1 + z * z / nn
        let centre = (p + z * z / (2 * nn)) / denominator
        let half = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denominator
        return max(0, centre - half)...min(1, centre + half)
    }

    /// χ² statistic of observed counts against expected shares (the weights), and its p-value
    /// with k − 1 degrees of freedom.
    public static func chiSquare(observed: [Int], weights: [Int]) -> (statistic: Double, pValue: Double) {
        let total = Double(observed.reduce(0, +))
        let weightSum = Double(weights.reduce(0, +))
        guard observed.count == weights.count, observed.count > 1, total > 0, weightSum > 0 else { return (0, 1) }
        var statistic = 0.0
        for (count, weight) in zip(observed, weights) where weight > 0 {
            let expected = total * Double(weight) / weightSum
            statistic += (Double(count) - expected) * (Double(count) - expected) / expected
        }
        return (statistic, chiSquareSurvival(statistic, degreesOfFreedom: observed.count - 1))
    }

    /// P(χ²_k ≥ x) = Q(k/2, x/2), the regularized upper incomplete gamma function.
    public static func chiSquareSurvival(_ x: Double, degreesOfFreedom k: Int) -> Double {
        guard x > 0, k > 0 else { return 1 }
        return upperRegularizedGamma(Double(k) / 2, x / 2)
    }

    /// Q(a, x): series below a + 1, Lentz continued fraction above (Numerical Recipes 6.2).
    static func upperRegularizedGamma(_ a: Double, _ x: Double) -> Double {
        let logPrefix = -x + a * log(x) - lgamma(a)
        if x < a + 1 {
            var term = 1 / a
            var sum = term
            var n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return max(0, min(1, 1 - sum * exp(logPrefix)))
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return max(0, min(1, exp(logPrefix) * h))
    }

    /// An always-valid (anytime) confidence interval on the difference of two conversion rates:
    /// the normal-mixture confidence sequence of the mixture sequential probability ratio test
    /// (Robbins; Johari et al., "Always valid inference"). It holds with probability 1 − α at every
    /// look at once, so reading it every day does not inflate false winners.
    /// `mixingSD` is the spread of effects the test is tuned for (absolute rate difference).
    public static func confidenceSequence(
        conversionsA xa: Int, visitorsA na: Int, conversionsB xb: Int, visitorsB nb: Int,
        alpha: Double, mixingSD tau: Double
    ) -> (difference: Double, low: Double, high: Double) {
        guard na > 0, nb > 0 else { return (0, -1, 1) }
        let pa = Double(xa) / Double(na)
        let pb = Double(xb) / Double(nb)
        let difference = pb - pa
        // Variance from a lightly smoothed rate so that 0 % or 100 % never gives a zero width.
        let sa = (Double(xa) + 0.5) / (Double(na) + 1)
        let sb = (Double(xb) + 0.5) / (Double(nb) + 1)
        let v = sa * (1 - sa) / Double(na) + sb * (1 - sb) / Double(nb)
        let t2 = max(tau * tau, 1e-12)
        let half = sqrt(2 * v * (v + t2) / t2 * log(sqrt((v + t2) / v) / alpha))
        return (difference, difference - half, difference + half)
    }

    /// SplitMix64-seeded xoshiro256** generator: the same seed gives the same draws on every machine.
    public struct SeededGenerator: RandomNumberGenerator, Sendable {
        var s: (UInt64, UInt64, UInt64, UInt64)

        public init(seed: UInt64) {
            var z = seed
            func next() -> UInt64 {
                z &+= 0x9E37_79B9_7F4A_7C15
                var r = z
                r = (r ^ (r >> 30)) &* 0xBF58_476D_1CE4_E5B9
                r = (r ^ (r >> 27)) &* 0x94D0_49BB_1331_11EB
                return r ^ (r >> 31)
            }
            s = (next(), next(), next(), next())
        }

        public mutating func next() -> UInt64 {
            let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
            let t = s.1 << 17
            s.2 ^= s.0
            s.3 ^= s.1
            s.1 ^= s.2
            s.0 ^= s.3
            s.2 ^= t
            s.3 = s.3 << 45 | s.3 >> 19
            return result
        }

        /// Uniform in (0, 1), never exactly 0.
        public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

        public mutating func normal() -> Double {
            sqrt(-2 * log(uniform())) * cos(2 * Double.pi * uniform())
        }

        /// Gamma(shape, 1) for shape ≥ 1 (Marsaglia and Tsang).
        public mutating func gamma(shape: Double) -> Double {
            let d = shape - 1.0 / 3
            let c = 1 / sqrt(9 * d)
            while true {
                var x = 0.0
                var v = 0.0
                repeat {
                    x = normal()
                    v = 1 + c * x
                } while v <= 0
                v = v * v * v
                let u = uniform()
                if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
            }
        }

        public mutating func beta(_ posterior: Posterior) -> Double {
            let x = gamma(shape: Double(posterior.alpha))
            let y = gamma(shape: Double(posterior.beta))
            return x / (x + y)
        }

        /// Binomial(n, p) by geometric waiting times: cost grows with the successes, not with n.
        public mutating func binomial(_ n: Int, _ p: Double) -> Int {
            guard n > 0, p > 0 else { return 0 }
            if p >= 1 { return n }
            let logQ = log(1 - p)
            var position = 0
            var count = 0
            while true {
                position += Int(log(uniform()) / logQ) + 1
                if position > n { return count }
                count += 1
            }
        }
    }

    /// P(best) and expected loss of each variant by simulation (more than two variants).
    public static func simulateBest(_ posteriors: [Posterior], draws: Int, seed: UInt64) -> (
        probabilityBest: [Double], expectedLoss: [Double]
    ) {
        var generator = SeededGenerator(seed: seed)
        var wins = [Int](repeating: 0, count: posteriors.count)
        var loss = [Double](repeating: 0, count: posteriors.count)
        var sample = [Double](repeating: 0, count: posteriors.count)
        for _ in 0..<draws {
            for index in posteriors.indices { sample[index] = generator.beta(posteriors[index]) }
            let best = sample.max() ?? 0
            if let winner = sample.firstIndex(of: best) { wins[winner] += 1 }
            for index in sample.indices { loss[index] += best - sample[index] }
        }
        let count = Double(max(1, draws))
        return (wins.map { Double($0) / count }, loss.map { $0 / count })
    }
}
