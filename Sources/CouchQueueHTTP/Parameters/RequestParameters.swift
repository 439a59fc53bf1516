import CouchQueueModel

/// A request's parameters from the query string and the body (the body wins), read with the
/// contract's typing: query and form values are text (JSON-valued ones as JSON text), JSON
/// body values keep their JSON type and a wrong type is refused, never converted.
struct RequestParameters: Sendable {
    enum Value: Sendable {
        case text(String)
        case json(JSONValue)
    }

    /// From the query string or a form body.
    private var texts: [String: String] = [:]
    /// From a JSON body: they win over `texts`. Kept as parsed, not copied into `Value`s.
    private var members = JSONObject()
    /// The deepest JSON nesting accepted in JSON text values.
    let maxJSONDepth: Int

    init(maxJSONDepth: Int) {
        self.maxJSONDepth = maxJSONDepth
    }

    /// Query string or form values, over texts given before (a form body over the query).
    mutating func merge(texts other: [String: String]) {
        if texts.isEmpty { texts = other } else { texts.merge(other) { _, new in new } }
    }

    /// A JSON body's members, over any given before.
    mutating func merge(json other: JSONObject) {
        if members.isEmpty {
            members = other
        } else {
            for (name, value) in other { members[name] = value }
        }
    }

    private subscript(_ name: String) -> Value? {
        if let member = members[name] { return .json(member) }
        return texts.isEmpty ? nil : texts[name].map { .text($0) }
    }

    func has(_ name: String) -> Bool { self[name] != nil }

    /// A string; JSON null and empty text count as absent. NUL is refused: neither store keeps
    /// it in text (SQLite cuts the text there, PostgreSQL refuses it).
    func string(_ name: String) throws(APIError) -> String? {
        let text: String?
        switch self[name] {
        case nil, .json(.null)?: return nil
        case .text(let value)?: text = value.isEmpty ? nil : value
        case .json(.string(let value))?: text = value
        case .json?: throw .badRequest("\(name) must be a string")
        }
        guard text?.utf8.contains(0) != true else { throw .badRequest("\(name) must not contain NUL characters") }
        return text
    }

    /// Absent (JSON null too), or a non-empty string: given at all, it must name something.
    func nonEmptyString(_ name: String) throws(APIError) -> String? {
        switch self[name] {
        case nil, .json(.null)?: nil
        default: try requiredString(name)
        }
    }

    func requiredString(_ name: String) throws(APIError) -> String {
        guard let value = try string(name), !value.isEmpty else { throw .badRequest("\(name) is required") }
        return value
    }

    /// `true/false/1/0/yes/no` in text, a JSON boolean in a JSON body.
    func bool(_ name: String) throws(APIError) -> Bool? {
        switch self[name] {
        case nil, .json(.null)?: return nil
        case .json(.bool(let value))?: return value
        case .text(let text)?:
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            case "": return nil
            default: throw .badRequest("\(name) must be a boolean: true, false, 1, 0, yes or no")
            }
        case .json?: throw .badRequest("\(name) must be a boolean")
        }
    }

    /// A switch: like `bool`, and named with no value (`?queues`) it is on.
    func flag(_ name: String) throws(APIError) -> Bool? {
        if case .text("")? = self[name] { return true }
        return try bool(name)
    }

    /// In text, a decimal number as JSON writes one (`12`, `-1.5`, `2e3`); not Swift's wider
    /// syntax (`0x10`, `nan`, `inf`), which no client means to send. `null` is absent there
    /// too, as in JSON (`runAt=null`: now).
    func double(_ name: String) throws(APIError) -> Double? {
        switch self[name] {
        case nil, .json(.null)?, .text("null")?: return nil
        case .json(.int(let value))?: return Double(value)
        case .json(.double(let value))?: return value
        case .json(.largeInteger(let digits))?: return try Self.finite(Double(digits), name)
        case .text(let text)?:
            guard !text.isEmpty else { return nil }
            return try Self.finite(Self.isDecimal(text) ? Double(text) : nil, name)
        case .json?: throw Self.notANumber(name)
        }
    }

    /// Digits past `Double`'s range read as infinity: no time or count means that.
    private static func finite(_ value: Double?, _ name: String) throws(APIError) -> Double {
        guard let value, value.isFinite else { throw notANumber(name) }
        return value
    }

    private static func notANumber(_ name: String) -> APIError {
        .badRequest("\(name) must be a number")
    }

    func int(_ name: String) throws(APIError) -> Int? {
        guard let value = try double(name) else { return nil }
        guard value.rounded() == value, abs(value) < 1e15 else { throw .badRequest("\(name) must be a whole number") }
        return Int(value)
    }

    /// A JSON value: as is from a JSON body, parsed from JSON text otherwise.
    func json(_ name: String) throws(APIError) -> JSONValue? {
        switch self[name] {
        case nil: return nil
        case .json(let value)?: return value
        case .text(let text)?:
            guard !text.isEmpty else { return nil }
            do {
                return try JSONValue.parse(Array(text.utf8), maxDepth: maxJSONDepth)
            } catch {
                throw .badRequest("\(name) must be JSON text: \(error.message)")
            }
        }
    }

    /// A list of ids (`tasks`): NUL is refused in them, as in `string`. Queue names need no
    /// such check: the engine allows only their own characters.
    func idList(_ name: String) throws(APIError) -> [String]? {
        let ids = try list(name)
        guard ids?.contains(where: { $0.utf8.contains(0) }) != true else {
            throw .badRequest("\(name) must not contain NUL characters")
        }
        return ids
    }

    /// A list given as a JSON array of strings or as comma-separated text; empty text counts
    /// as absent, as in `string` (a JSON `[]` is an empty list).
    func list(_ name: String) throws(APIError) -> [String]? {
        switch self[name] {
        case nil, .json(.null)?, .text("")?, .json(.string(""))?: return nil
        case .json(.string(let text))?: return Self.split(text)
        case .text(let text)?:
            if text.hasPrefix("[") { return try strings(try json(name), name) }
            return Self.split(text)
        case .json(let value)?: return try strings(value, name)
        }
    }

    /// A value from a closed set (`scope`, `state`).
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _: T.Type) throws(APIError) -> T? where T.RawValue == String {
        guard let text = try string(name) else { return nil }
        guard let value = T(rawValue: text) else {
            throw .badRequest("\(name) must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    private func strings(_ value: JSONValue?, _ name: String) throws(APIError) -> [String] {
        guard case .array(let items)? = value else { throw .badRequest("\(name) must be a list of strings") }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw .badRequest("\(name) must be a list of strings") }
            result.append(text)
        }
        return result
    }

    /// `-?digits[.digits][(e|E)[+|-]digits]`, a leading `+` or a bare fraction (`.5`) allowed.
    private static func isDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix(while: \.isASCIIDigit).count
            bytes = bytes.dropFirst(count)
            return count
        }
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var mantissa = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    private static func split(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
