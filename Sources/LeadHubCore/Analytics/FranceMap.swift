import Foundation

/// The map of France by département drawn by the server: a tile map (one square per
/// département, placed to keep neighbours next to each other, Île-de-France enlarged into eight
/// tiles, Corsica to the south-east, overseas départements in a column on the left), coloured in
/// five classes of the measured value. Equal tiles keep every département readable, which a
/// geographic map of France's 101 départements at dashboard size does not.
public enum FranceMap {
    /// Column and row of each département's tile.
    public static let tiles: [String: (column: Int, row: Int)] = {
        let rows: [[(String, Int)]] = [
            [("80", 5), ("62", 6), ("59", 7)],
            [("76", 4), ("60", 5), ("02", 6), ("08", 7)],
            [("50", 2), ("14", 3), ("27", 4), ("95", 5), ("93", 6), ("51", 7), ("55", 8), ("57", 9)],
            [
                ("29", 0), ("22", 1), ("35", 2), ("61", 3), ("78", 4), ("92", 5), ("75", 6), ("77", 7), ("10", 8),
                ("54", 9), ("67", 10),
            ],
            [
                ("56", 1), ("53", 2), ("72", 3), ("28", 4), ("91", 5), ("94", 6), ("89", 7), ("52", 8), ("88", 9),
                ("68", 10),
            ],
            [("44", 1), ("49", 2), ("37", 3), ("41", 4), ("45", 5), ("58", 6), ("21", 7), ("70", 8), ("90", 9)],
            [("85", 1), ("79", 2), ("86", 3), ("36", 4), ("18", 5), ("03", 6), ("71", 7), ("39", 8), ("25", 9)],
            [("17", 2), ("16", 3), ("87", 4), ("23", 5), ("63", 6), ("42", 7), ("69", 8), ("01", 9), ("74", 10)],
            [("971", 0), ("33", 2), ("24", 3), ("19", 4), ("15", 5), ("43", 6), ("07", 7), ("38", 8), ("73", 9)],
            [("972", 0), ("40", 2), ("47", 3), ("46", 4), ("12", 5), ("48", 6), ("26", 7), ("05", 8)],
            [("973", 0), ("64", 2), ("32", 3), ("82", 4), ("81", 5), ("30", 6), ("84", 7), ("04", 8), ("06", 9)],
            [("974", 0), ("65", 3), ("31", 4), ("11", 5), ("34", 6), ("13", 7), ("83", 8), ("2B", 10)],
            [("976", 0), ("09", 4), ("66", 5), ("2A", 10)],
        ]
        var out: [String: (column: Int, row: Int)] = [:]
        for (row, cells) in rows.enumerated() {
            for (code, column) in cells { out[code] = (column, row) }
        }
        return out
    }()

    static let columns = 11
    static let rowCount = 13

    /// The colour class (0: none, 1…5) of a value, on a linear scale up to the largest value.
    public static func level(_ value: Int, max top: Int) -> Int {
        guard value > 0, top > 0 else { return 0 }
        return Swift.min(5, Swift.max(1, Int((5 * Double(value) / Double(top)).rounded(.up))))
    }

    /// `values`: département code → count. `unit`: the plural noun of the count ("leads").
    public static func svg(_ values: [String: Int], unit: String, id: String, title: String) -> String {
        let cell = 36.0
        let gap = 3.0
        let left = 4.0
        let top = 22.0
        let width = left + Double(columns) * cell + 8
        let legendTop = top + Double(rowCount) * cell + 12
        let height = legendTop + 40
        let highest = values.values.max() ?? 0
        let total = values.values.reduce(0, +)
        var body = "<text class=\"chart-tick\" x=\"\(fmt(left))\" y=\"\(fmt(top + 7 * cell + 24))\">Outre-mer</text>"
        for code in Departement.all where tiles[code] != nil {
            let (column, row) = tiles[code]!
            let value = values[code] ?? 0
            let level = level(value, max: highest)
            let x = left + Double(column) * cell
            let y = top + Double(row) * cell
            let name = Departement.names[code] ?? code
            let share = value > 0 ? SVGCharts.percent(value, of: total).map { " (\($0))" } ?? "" : ""
            let noun = value <= 1 && unit.hasSuffix("s") ? String(unit.dropLast()) : unit  // 0 lead, 1 lead, 2 leads
            body +=
                "<g class=\"map-tile\"><title>\(SVGCharts.escape("\(code) \(name) : \(FrenchFormat.integer(value)) \(noun)\(share)"))</title>"
                + "<rect class=\"map-\(level)\" x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(cell - gap))\" height=\"\(fmt(cell - gap))\" rx=\"4\"></rect>"
                + "<text class=\"map-code\(level >= 4 ? " on-dark" : "")\" x=\"\(fmt(x + (cell - gap) / 2))\" y=\"\(fmt(y + (cell - gap) / 2 + 4))\" text-anchor=\"middle\">\(code)</text></g>"
        }
        // The legend: the five classes and what they cover.
        body +=
            "<text class=\"chart-tick\" x=\"\(fmt(left))\" y=\"\(fmt(legendTop + 12))\">\(SVGCharts.escape(unit.prefix(1).uppercased() + unit.dropFirst())) :</text>"
        for level in 0...5 {
            let x = left + 56 + Double(level) * 58
            let label: String
            if level == 0 {
                label = "0"
            } else {
                let low = Int((Double(level - 1) * Double(highest) / 5).rounded(.down)) + 1
                let high = Int((Double(level) * Double(highest) / 5).rounded(.down))
                label =
                    highest == 0
                    ? "—"
                    : (low >= high
                        ? FrenchFormat.integer(high) : "\(FrenchFormat.integer(low))–\(FrenchFormat.integer(high))")
            }
            body +=
                "<rect class=\"map-\(level)\" x=\"\(fmt(x))\" y=\"\(fmt(legendTop + 2))\" width=\"14\" height=\"14\" rx=\"3\"></rect>"
                + "<text class=\"chart-tick\" x=\"\(fmt(x + 18))\" y=\"\(fmt(legendTop + 13))\">\(SVGCharts.escape(label))</text>"
        }
        let ranked = values.filter { $0.value > 0 }.sorted {
            $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key
        }
        let description =
            ranked.isEmpty
            ? "Aucun \(unit.hasSuffix("s") ? String(unit.dropLast()) : unit) sur la période."
            : "\(FrenchFormat.integer(total)) \(unit) dans \(ranked.count) départements ; les plus nombreux : "
                + ranked.prefix(5).map {
                    "\($0.key) \(Departement.names[$0.key] ?? $0.key) \(FrenchFormat.integer($0.value))"
                }.joined(separator: ", ")
        return SVGCharts.svg(id: id, title: title, description: description, width: width, height: height, body: body)
    }

    static func fmt(_ value: Double) -> String { SVGCharts.fmt(value) }
}
