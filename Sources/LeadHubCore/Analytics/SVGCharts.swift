import Foundation

/// Charts drawn by the server as SVG: readable without JavaScript, with a title and a description
/// for screen readers (`role="img"`, `aria-labelledby`), colours from CSS classes (the content
/// security policy forbids inline styles), every text escaped.
public enum SVGCharts {
    public struct Step: Sendable, Equatable {
        public let label: String
        public let value: Int

        public init(_ label: String, _ value: Int) {
            self.label = label
            self.value = value
        }
    }

    public struct Bar: Sendable, Equatable {
        /// Shown under the bar (every few bars when there are many).
        public let label: String
        public let values: [Int]

        public init(_ label: String, _ values: [Int]) {
            self.label = label
            self.values = values
        }
    }

    public static func escape(_ text: String) -> String { HTMLText.escape(text) }

    static func number(_ value: Int) -> String { FrenchFormat.integer(value) }

    static func percent(_ part: Int, of whole: Int) -> String? {
        guard whole > 0 else { return nil }
        let value = Double(part) / Double(whole) * 100
        return String(format: value < 10 ? "%.1f" : "%.0f", value).replacingOccurrences(of: ".", with: ",") + " %"
    }

    /// The conversion funnel: one horizontal bar per step, as wide as its share of the first
    /// step, with the count and the rate from the step before.
    public static func funnel(_ steps: [Step], id: String, title: String) -> String {
        let width = 640.0
        let labelWidth = 170.0
        let row = 44.0
        let height = Double(steps.count) * row + 8
        let top = max(1, steps.map(\.value).max() ?? 1)
        var description: [String] = []
        var body = ""
        for (index, step) in steps.enumerated() {
            let y = Double(index) * row + 4
            let share = Double(step.value) / Double(top)
            let barWidth = max(2, (width - labelWidth - 150) * share)
            var rate = ""
            if index > 0, let value = percent(step.value, of: steps[index - 1].value) { rate = " (\(value))" }
            description.append("\(step.label) : \(number(step.value))\(rate)")
            body += """
                <g class="funnel-step step-\(index)"><text class="chart-label" x="0" y="\(fmt(y + 24))">\(escape(step.label))</text>\
                <rect class="bar bar-\(index)" x="\(fmt(labelWidth))" y="\(fmt(y + 6))" width="\(fmt(barWidth))" height="28" rx="4"></rect>\
                <text class="chart-value" x="\(fmt(labelWidth + barWidth + 8))" y="\(fmt(y + 24))">\(escape(number(step.value) + rate))</text></g>
                """
        }
        return svg(
            id: id, title: title, description: description.joined(separator: " ; "), width: width, height: height,
            body: body)
    }

    /// Bars over time (one group per slot, one bar per series), with a few labels under the axis.
    public static func bars(_ slots: [Bar], series: [String], id: String, title: String) -> String {
        let width = 640.0
        let height = 220.0
        let left = 44.0
        let bottom = 24.0
        let plotHeight = height - bottom - 10
        let top = max(1, slots.flatMap(\.values).max() ?? 1)
        let slotWidth = (width - left) / Double(max(1, slots.count))
        let barWidth = max(1, (slotWidth - 2) / Double(max(1, series.count)))
        let labelEvery = max(1, Int((Double(slots.count) / 8).rounded(.up)))
        var body = """
            <line class="axis" x1="\(fmt(left))" y1="\(fmt(10 + plotHeight))" x2="\(fmt(width))" y2="\(fmt(10 + plotHeight))"></line>\
            <text class="chart-tick" x="\(fmt(left - 6))" y="16" text-anchor="end">\(escape(number(top)))</text>\
            <text class="chart-tick" x="\(fmt(left - 6))" y="\(fmt(10 + plotHeight))" text-anchor="end">0</text>
            """
        var totals = Array(repeating: 0, count: series.count)
        for (index, slot) in slots.enumerated() {
            let x = left + Double(index) * slotWidth + 1
            for (s, value) in slot.values.enumerated() where s < series.count {
                totals[s] += value
                guard value > 0 else { continue }
                let h = plotHeight * Double(value) / Double(top)
                body +=
                    "<rect class=\"bar bar-\(s)\" x=\"\(fmt(x + Double(s) * barWidth))\" y=\"\(fmt(10 + plotHeight - h))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(h))\"><title>\(escape(slot.label + " — " + series[s] + " : " + number(value)))</title></rect>"
            }
            if index % labelEvery == 0 {
                body +=
                    "<text class=\"chart-tick\" x=\"\(fmt(x + slotWidth / 2))\" y=\"\(fmt(height - 6))\" text-anchor=\"middle\">\(escape(slot.label))</text>"
            }
        }
        let description =
            zip(series, totals).map { "\($0) : \(number($1)) au total" }.joined(separator: " ; ")
            + (slots.isEmpty ? "" : " ; du \(slots.first!.label) au \(slots.last!.label)")
        return svg(id: id, title: title, description: description, width: width, height: height, body: body)
    }

    /// One line per series over the same slots (e.g. cumulative conversion per variant by day),
    /// values as fractions drawn as percentages; nil points (no data yet) break nothing, they are skipped.
    public static func lines(
        _ series: [(name: String, values: [Double?])], labels: [String], id: String, title: String
    ) -> String {
        let width = 640.0
        let height = 220.0
        let left = 48.0
        let bottom = 24.0
        let plotHeight = height - bottom - 10
        let highest = series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0
        // A readable top tick: the next step of 1, 2 or 5 (in percentage points) above the highest value.
        let steps = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
        let top = steps.first { $0 >= highest * 1.1 } ?? 1
        let count = max(1, labels.count - 1)
        func x(_ index: Int) -> Double { left + (width - left - 8) * Double(index) / Double(count) }
        func y(_ value: Double) -> Double { 10 + plotHeight - plotHeight * min(value, top) / top }
        var body = """
            <line class="axis" x1="\(fmt(left))" y1="\(fmt(10 + plotHeight))" x2="\(fmt(width))" y2="\(fmt(10 + plotHeight))"></line>\
            <line class="axis grid" x1="\(fmt(left))" y1="\(fmt(y(top / 2)))" x2="\(fmt(width))" y2="\(fmt(y(top / 2)))"></line>\
            <text class="chart-tick" x="\(fmt(left - 6))" y="16" text-anchor="end">\(escape(FrenchFormat.percent(top, decimals: top < 0.02 ? 1 : 0)))</text>\
            <text class="chart-tick" x="\(fmt(left - 6))" y="\(fmt(y(top / 2) + 4))" text-anchor="end">\(escape(FrenchFormat.percent(top / 2, decimals: top < 0.04 ? 1 : 0)))</text>\
            <text class="chart-tick" x="\(fmt(left - 6))" y="\(fmt(10 + plotHeight))" text-anchor="end">0</text>
            """
        var description = [String]()
        for (s, line) in series.enumerated() {
            let points = line.values.enumerated().compactMap { index, value in
                value.map { "\(fmt(x(index))),\(fmt(y($0)))" }
            }
            if points.count > 1 {
                body +=
                    "<polyline class=\"line line-\(s)\" fill=\"none\" points=\"\(points.joined(separator: " "))\"></polyline>"
            }
            if let (index, last) = line.values.enumerated().last(where: { $0.element != nil }), let last {
                body +=
                    "<circle class=\"line-dot line-\(s)\" cx=\"\(fmt(x(index)))\" cy=\"\(fmt(y(last)))\" r=\"3\"><title>\(escape(line.name + " : " + FrenchFormat.percent(last)))</title></circle>"
                description.append("\(line.name) : \(FrenchFormat.percent(last))")
            }
        }
        let labelEvery = max(1, Int((Double(labels.count) / 8).rounded(.up)))
        for (index, label) in labels.enumerated() where index % labelEvery == 0 {
            body +=
                "<text class=\"chart-tick\" x=\"\(fmt(x(index)))\" y=\"\(fmt(height - 6))\" text-anchor=\"middle\">\(escape(label))</text>"
        }
        return svg(
            id: id, title: title,
            description: description.isEmpty ? "Pas encore de données." : description.joined(separator: " ; "),
            width: width, height: height, body: body)
    }

    static func svg(id: String, title: String, description: String, width: Double, height: Double, body: String)
        -> String
    {
        let safeId = id.filter { $0.isLetter || $0.isNumber || $0 == "-" }
        return """
            <svg class="chart" viewBox="0 0 \(fmt(width)) \(fmt(height))" role="img" aria-labelledby="\(safeId)-title \(safeId)-desc" xmlns="http://www.w3.org/2000/svg">\
            <title id="\(safeId)-title">\(escape(title))</title><desc id="\(safeId)-desc">\(escape(description))</desc>\(body)</svg>
            """
    }

    static func fmt(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
