/// An answer written straight to JSON bytes, without building a `JSONValue` tree first: the
/// task and publish answers are the hottest the server writes. Their `Encodable` forms read
/// back equal (tested); a task's reads back this writer, and a test checks its members.
public protocol JSONDirectlyWritable {
    func write(to object: inout JSONObjectWriter)
}

extension JSONDirectlyWritable {
    public var jsonBytes: [UInt8] {
        var object = JSONObjectWriter()
        write(to: &object)
        return object.finished()
    }
}

/// Writes one JSON object member by member.
public struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    public init() {
        bytes.reserveCapacity(256)
    }

    public func finished() -> [UInt8] {
        bytes + [UInt8(ascii: "}")]
    }

    private mutating func key(_ name: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        JSONWriter.writeString(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func add(_ name: String, _ value: JSONValue) {
        key(name)
        JSONWriter.write(value, into: &bytes)
    }

    public mutating func add(_ name: String, _ value: String?) {
        add(name, value.map { .string($0) } ?? .null)
    }

    public mutating func add(_ name: String, _ value: Double?) {
        add(name, value.map { .double($0) } ?? .null)
    }

    public mutating func add(_ name: String, _ value: Int) {
        add(name, .int(Int64(value)))
    }

    public mutating func add(_ name: String, _ value: Bool) {
        add(name, .bool(value))
    }

    /// A value written as its canonical text already is.
    public mutating func add(_ name: String, canonical value: CanonicalJSON) {
        key(name)
        bytes += value.text.utf8
    }

    /// A nested object, or `null`.
    public mutating func add(_ name: String, object value: (some JSONDirectlyWritable)?) {
        key(name)
        if let value { bytes += value.jsonBytes } else { bytes += "null".utf8 }
    }

    public mutating func add(_ name: String, objects values: [some JSONDirectlyWritable]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (position, value) in values.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += value.jsonBytes
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
