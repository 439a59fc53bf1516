/// The Unicode general categories RE2 accepts in `\p{…}` (`\p{Lu}`, `\pL`, …), read from
/// the Swift runtime's Unicode tables.
///
/// RE2 also accepts script names (`\p{Greek}`); the Swift standard library has no script
/// property, so those are refused with an explanation instead of being half-supported.
enum GeneralCategories {
    /// Two-letter names RE2 knows. `Cn` (unassigned) is deliberately absent, as in RE2.
    private static let categoryNames: [String: Unicode.GeneralCategory] = [
        "Lu": .uppercaseLetter, "Ll": .lowercaseLetter, "Lt": .titlecaseLetter,
        "Lm": .modifierLetter, "Lo": .otherLetter,
        "Mn": .nonspacingMark, "Mc": .spacingMark, "Me": .enclosingMark,
        "Nd": .decimalNumber, "Nl": .letterNumber, "No": .otherNumber,
        "Pc": .connectorPunctuation, "Pd": .dashPunctuation, "Ps": .openPunctuation,
        "Pe": .closePunctuation, "Pi": .initialPunctuation, "Pf": .finalPunctuation,
        "Po": .otherPunctuation,
        "Sm": .mathSymbol, "Sc": .currencySymbol, "Sk": .modifierSymbol, "So": .otherSymbol,
        "Zs": .spaceSeparator, "Zl": .lineSeparator, "Zp": .paragraphSeparator,
        "Cc": .control, "Cf": .format, "Co": .privateUse,
    ]

    /// Surrogates never occur in a Swift string, but RE2 defines `Cs`, so it is accepted.
    private static let surrogates = ScalarSet([0xD800...0xDFFF])

    /// Each category's scalars, computed in one pass over the code space on first use.
    private static let table: [Unicode.GeneralCategory: ScalarSet] = {
        var ranges: [Unicode.GeneralCategory: [ClosedRange<UInt32>]] = [:]
        var runStart: UInt32 = 0
        var runCategory: Unicode.GeneralCategory?
        func closeRun(at end: UInt32) {
            if let category = runCategory { ranges[category, default: []].append(runStart...end) }
        }
        for value in UInt32(0)...ScalarSet.maxScalar {
            let category = Unicode.Scalar(value)?.properties.generalCategory
            if category != runCategory {
                if value > 0 { closeRun(at: value - 1) }
                runStart = value
                runCategory = category
            }
        }
        closeRun(at: ScalarSet.maxScalar)
        return ranges.mapValues { ScalarSet($0) }
    }()

    /// The scalars named by a `\p` class name (without `^`), or nil if RE2 would not know
    /// it as a general category.
    static func scalars(named name: String) -> ScalarSet? {
        if name == "Any" { return .all }
        if name == "Cs" { return surrogates }
        if let category = categoryNames[name] { return table[category] ?? ScalarSet() }
        guard name.count == 1 else { return nil }
        let members = categoryNames.filter { $0.key.hasPrefix(name) }
        guard !members.isEmpty else { return nil }
        var result = name == "C" ? surrogates : ScalarSet()
        for category in members.values { result.formUnion(table[category] ?? ScalarSet()) }
        return result
    }
}
