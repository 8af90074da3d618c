import Foundation
import Testing

@testable import LeadHubCore

@Suite struct FranceMapTests {
    @Test func everyDepartementHasItsOwnTile() {
        let expected = Set(Departement.all).subtracting(["975"])  // Saint-Pierre-et-Miquelon: no lead market
        #expect(Set(FranceMap.tiles.keys) == expected)
        let cells = FranceMap.tiles.values.map { "\($0.column),\($0.row)" }
        #expect(Set(cells).count == cells.count, "two départements share a tile")
        for (code, tile) in FranceMap.tiles {
            #expect(
                (0..<FranceMap.columns).contains(tile.column) && (0..<FranceMap.rowCount).contains(tile.row),
                "\(code) is off the map")
        }
        #expect(Departement.all.allSatisfy { Departement.names[$0] != nil })
    }

    @Test func neighboursStayNeighbours() {
        func touching(_ a: String, _ b: String) -> Bool {
            let (x, y) = (FranceMap.tiles[a]!, FranceMap.tiles[b]!)
            return abs(x.column - y.column) <= 1 && abs(x.row - y.row) <= 1
        }
        for (a, b) in [
            ("75", "92"), ("75", "93"), ("75", "94"), ("59", "62"), ("13", "83"), ("33", "24"), ("69", "42"),
            ("67", "68"), ("29", "22"), ("2A", "2B"),
        ] {
            #expect(touching(a, b), "\(a) and \(b) should touch")
        }
        // North above south, west left of east.
        #expect(FranceMap.tiles["59"]!.row < FranceMap.tiles["66"]!.row)
        #expect(FranceMap.tiles["29"]!.column < FranceMap.tiles["67"]!.column)
    }

    @Test func valuesFallIntoFiveClassesAndNoneIsGrey() {
        #expect(FranceMap.level(0, max: 100) == 0)
        #expect(FranceMap.level(1, max: 100) == 1)
        #expect(FranceMap.level(20, max: 100) == 1)
        #expect(FranceMap.level(21, max: 100) == 2)
        #expect(FranceMap.level(100, max: 100) == 5)
        #expect(FranceMap.level(3, max: 0) == 0)
    }

    @Test func theMapIsAnAccessibleSVGWithATitlePerTile() {
        let svg = FranceMap.svg(
            ["69": 120, "75": 40, "2A": 1], unit: "leads", id: "map-leads", title: "Leads par département")
        #expect(svg.hasPrefix("<svg class=\"chart\""))
        #expect(svg.contains("role=\"img\""))
        #expect(svg.contains("<title id=\"map-leads-title\">Leads par département</title>"))
        #expect(
            svg.contains(
                "<desc id=\"map-leads-desc\">161 leads dans 3 départements ; les plus nombreux : 69 Rhône 120, 75 Paris 40, 2A Corse-du-Sud 1</desc>"
            ))
        #expect(svg.contains("<title>2A Corse-du-Sud : 1 lead (0,6 %)</title>"))
        #expect(svg.contains("<title>69 Rhône : 120 leads (75 %)</title><rect class=\"map-5\""))
        #expect(svg.contains("<title>75 Paris : 40 leads (25 %)</title><rect class=\"map-2\""))
        #expect(svg.contains("<title>13 Bouches-du-Rhône : 0 lead</title><rect class=\"map-0\""))
        #expect(svg.contains("<title>21 Côte-d&#39;Or : 0 lead</title>"))
        #expect(svg.components(separatedBy: "class=\"map-tile\"").count - 1 == 101)
        #expect(!svg.contains("style="))
        let empty = FranceMap.svg([:], unit: "leads", id: "m", title: "T")
        #expect(empty.contains("<desc id=\"m-desc\">Aucun lead sur la période.</desc>"))
    }
}
