/// The ASCII-only named classes of RE2: Perl's `\d \s \w` and the POSIX `[:name:]` set.
///
/// RE2 keeps these ASCII even in UTF-8 mode (`\w` does not match `é`, `\s` does not match
/// U+00A0), and so does `\b`, which is defined by `\w`.
enum ASCIIClasses {
    static let digit = ScalarSet([0x30...0x39])
    static let word = ScalarSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// Perl's `\s` in RE2 is `[\t\n\f\r ]`: no vertical tab, unlike `[[:space:]]`.
    static let perlSpace = ScalarSet([0x09...0x0A, 0x0C...0x0D, 0x20...0x20])

    /// The class for a Perl escape letter (`d`, `s`, `w`; upper case negates), if it is one.
    static func perl(_ letter: Unicode.Scalar) -> (set: ScalarSet, negated: Bool)? {
        switch letter {
        case "d": (digit, false)
        case "D": (digit, true)
        case "s": (perlSpace, false)
        case "S": (perlSpace, true)
        case "w": (word, false)
        case "W": (word, true)
        default: nil
        }
    }

    static func isWord(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x30...0x39, 0x41...0x5A, 0x5F, 0x61...0x7A: true
        default: false
        }
    }

    /// The class for a POSIX name such as `alpha` (without the `[:` `:]` or `^`).
    static func posix(_ name: String) -> ScalarSet? {
        switch name {
        case "alnum": ScalarSet([0x30...0x39, 0x41...0x5A, 0x61...0x7A])
        case "alpha": ScalarSet([0x41...0x5A, 0x61...0x7A])
        case "ascii": ScalarSet([0x00...0x7F])
        case "blank": ScalarSet([0x09...0x09, 0x20...0x20])
        case "cntrl": ScalarSet([0x00...0x1F, 0x7F...0x7F])
        case "digit": digit
        case "graph": ScalarSet([0x21...0x7E])
        case "lower": ScalarSet([0x61...0x7A])
        case "print": ScalarSet([0x20...0x7E])
        case "punct": ScalarSet([0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E])
        case "space": ScalarSet([0x09...0x0D, 0x20...0x20])
        case "upper": ScalarSet([0x41...0x5A])
        case "word": word
        case "xdigit": ScalarSet([0x30...0x39, 0x41...0x46, 0x61...0x66])
        default: nil
        }
    }
}
