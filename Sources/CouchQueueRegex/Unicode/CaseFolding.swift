/// Simple case folding orbits: the groups of scalars that `(?i)` treats as equal
/// (for example k, K and U+212A KELVIN SIGN), as in RE2's `CycleFoldRune` table.
///
/// Swift exposes case mappings but not CaseFolding.txt, so the orbits are derived from
/// the single-scalar lower-, upper- and titlecase mappings, joined with union-find.
/// That reproduces simple folding except for two kinds of scalar, listed explicitly:
/// the Turkic dotless ı, whose upper- and titlecase is I although folding keeps it apart,
/// and three pairs that fold together without a single-scalar case mapping between them.
/// Built once, lazily.
enum CaseFolding {
    private struct Table {
        /// Every scalar that has at least one fold partner, ascending.
        var scalars: [UInt32] = []
        /// The orbit index of `scalars[i]`.
        var orbitIndex: [Int] = []
        var orbits: [[UInt32]] = []
    }

    /// Scalars whose upper- and titlecase mappings do not make them fold-equivalent.
    private static let foldedByLowercaseOnly: Set<UInt32> = [0x0131]

    /// ΐ/ΐ, ΰ/ΰ and the two "st" ligatures: CaseFolding.txt joins them, the mappings don't.
    private static let extraEquivalences: [(UInt32, UInt32)] = [(0x0390, 0x1FD3), (0x03B0, 0x1FE3), (0xFB05, 0xFB06)]

    private static let table: Table = build()

    /// Cased scalars all lie in planes 0 and 1 (the last is Adlam, U+1E943); the planes
    /// above hold ideographs, tags and private use, so the scan stops here.
    private static let lastCasedPlaneEnd: UInt32 = 0x1FFFF

    /// The scalars fold-equivalent to `scalar`, itself included; just `[scalar]` if none.
    static func orbit(of scalar: UInt32) -> [UInt32] {
        let position = lowerBound(scalar)
        guard position < table.scalars.count, table.scalars[position] == scalar else { return [scalar] }
        return table.orbits[table.orbitIndex[position]]
    }

    /// The members of `range` that have fold partners.
    static func foldableScalars(in range: ClosedRange<UInt32>) -> ArraySlice<UInt32> {
        let start = lowerBound(range.lowerBound)
        var end = start
        while end < table.scalars.count, table.scalars[end] <= range.upperBound { end += 1 }
        return table.scalars[start..<end]
    }

    private static func lowerBound(_ scalar: UInt32) -> Int {
        var low = 0
        var high = table.scalars.count
        while low < high {
            let mid = (low + high) / 2
            if table.scalars[mid] < scalar { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private static func build() -> Table {
        var parent: [UInt32: UInt32] = [:]
        func root(_ scalar: UInt32) -> UInt32 {
            var current = scalar
            while let next = parent[current], next != current { current = next }
            return current
        }
        func join(_ a: UInt32, _ b: UInt32) {
            parent[a] = parent[a] ?? a
            parent[b] = parent[b] ?? b
            let (rootA, rootB) = (root(a), root(b))
            if rootA != rootB { parent[max(rootA, rootB)] = min(rootA, rootB) }
        }
        for value in UInt32(0)...lastCasedPlaneEnd {
            guard let scalar = Unicode.Scalar(value), scalar.properties.changesWhenCaseMapped else { continue }
            let properties = scalar.properties
            var mappings = [properties.lowercaseMapping]
            if !foldedByLowercaseOnly.contains(value) {
                mappings += [properties.uppercaseMapping, properties.titlecaseMapping]
            }
            for mapping in mappings {
                let scalars = mapping.unicodeScalars
                if scalars.count == 1, let other = scalars.first?.value, other != value { join(value, other) }
            }
        }
        for (a, b) in extraEquivalences { join(a, b) }
        var members: [UInt32: [UInt32]] = [:]
        for scalar in parent.keys { members[root(scalar), default: []].append(scalar) }
        var table = Table()
        var orbitOf: [UInt32: Int] = [:]
        for (orbitRoot, orbit) in members {
            orbitOf[orbitRoot] = table.orbits.count
            table.orbits.append(orbit.sorted())
        }
        table.scalars = parent.keys.sorted()
        table.orbitIndex = table.scalars.map { orbitOf[root($0)]! }
        return table
    }
}
