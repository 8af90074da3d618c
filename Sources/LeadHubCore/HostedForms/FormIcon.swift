import Foundation

/// The icons a card can show, drawn inline as SVG (24×24, stroked with the account's color):
/// no request, no image to upload for the common answers.
public enum FormIcon {
    static let paths: [String: String] = [
        "maison": "M3 11 12 4l9 7M5 10v10h5v-6h4v6h5V10",
        "appartement": "M5 21V3h14v18M9 7h2M13 7h2M9 11h2M13 11h2M9 15h2M13 15h2M10 21v-3h4v3",
        "proprietaire": "M8 15a4 4 0 1 1 3.5-6H21v3h-2v2h-2v-2h-5.5A4 4 0 0 1 8 15zM7 11h.01",
        "locataire": "M4 21V10l8-6 8 6v11H4zM9 21v-6h6v6M12 10h.01",
        "soleil":
            "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v2M12 20v2M2 12h2M20 12h2M5 5l1.5 1.5M17.5 17.5 19 19M5 19l1.5-1.5M17.5 6.5 19 5",
        "sud": "M12 3v14M7 12l5 5 5-5M5 21h14",
        "est-ouest": "M3 12h18M7 8l-4 4 4 4M17 8l4 4-4 4",
        "nord": "M12 21V7M7 12l5-5 5 5M5 3h14",
        "toit-plat": "M3 10h18M5 10v10h14V10M9 20v-5h6v5",
        "electricite": "M13 2 4 14h7l-1 8 9-12h-7l1-8z",
        "gaz": "M12 3c3 4 5 6 5 10a5 5 0 0 1-10 0c0-2 1-4 2-5 0 2 1 3 2 3 0-3 0-5 1-8z",
        "fioul": "M12 3s6 7 6 11a6 6 0 0 1-12 0c0-4 6-11 6-11z",
        "bois": "M4 17l16-6M4 11l16 6M6 21h12",
        "pompe-a-chaleur": "M3 6h18v12H3zM12 12m-4 0a4 4 0 1 0 8 0 4 4 0 1 0-8 0M12 8v8M8 12h8",
        "mur": "M3 5h18v14H3zM3 9.5h18M3 14h18M8 5v4.5M15 5v4.5M11 9.5V14M5 14v5M17 14v5",
        "calendrier": "M4 6h16v14H4zM4 10h16M8 3v4M16 3v4",
        "horloge": "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 3",
        "euro": "M17 6a7 7 0 1 0 0 12M4 10h9M4 14h9",
        "surface": "M3 3h18v18H3zM7 7h10v10H7z",
        "oui": "M5 12l5 5L20 7",
        "non": "M6 6l12 12M18 6 6 18",
        "question": "M9 9a3 3 0 1 1 4 2.8c-.8.4-1 1-1 2.2M12 17h.01",
    ]

    public static let names: Set<String> = Set(paths.keys)

    /// The icon as inline SVG, hidden from screen readers (the card's text says it).
    public static func svg(_ name: String) -> String? {
        guard let path = paths[name] else { return nil }
        return "<svg viewBox=\"0 0 24 24\" width=\"40\" height=\"40\" aria-hidden=\"true\" focusable=\"false\">"
            + "<path d=\"\(path)\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.6\" "
            + "stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>"
    }
}
