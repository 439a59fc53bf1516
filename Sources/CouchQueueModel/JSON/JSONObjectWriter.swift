/// An answer written straight to JSON bytes, without building a `JSONValue` tree first: the
/// task and publish answers are the hottest the server writes. Their `Encodable` forms read
/// back equal (tested); a task's reads back this writer, and a test checks its members.
public protocol JSONDirectlyWritable {
    func write(to object: inout JSONObjectWriter)
}

extension JSONDirectlyWritable {
    public var jsonBytes: [UInt8] {
        var bytes: [UInt8] = []
        // A task's answer with small data, without growing; with the array's header, within
        // the largest block glibc's per-thread cache serves (1,032 bytes): 1,024 was slower.
        bytes.reserveCapacity(960)
        JSONObjectWriter.write(self, into: &bytes)
        return bytes
    }
}

/// Writes one JSON object member by member, nested objects into the same bytes.
public struct JSONObjectWriter {
    private var bytes: [UInt8]
    /// Where this object's members start: a member written after it needs a comma first.
    private let membersStart: Int

    private init(continuing bytes: consuming [UInt8]) {
        bytes.append(UInt8(ascii: "{"))
        membersStart = bytes.count
        self.bytes = bytes
    }

    /// Appends `value` as an object to `bytes`. The writer takes the bytes over while it
    /// writes, so appending to them never copies them.
    static func write(_ value: some JSONDirectlyWritable, into bytes: inout [UInt8]) {
        var object = JSONObjectWriter(continuing: bytes)
        bytes = []
        value.write(to: &object)
        object.bytes.append(UInt8(ascii: "}"))
        bytes = object.bytes
    }

    /// Names are literals that need no escaping: their bytes are copied as they are, not
    /// scanned (a task has sixteen).
    private mutating func key(_ name: StaticString) {
        if bytes.count > membersStart { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func add(_ name: StaticString, _ value: JSONValue) {
        key(name)
        JSONWriter.write(value, into: &bytes)
    }

    public mutating func add(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { JSONWriter.writeString(value, into: &bytes) } else { bytes += "null".utf8 }
    }

    public mutating func add(_ name: StaticString, _ value: Double?) {
        add(name, value.map { .double($0) } ?? .null)
    }

    public mutating func add(_ name: StaticString, _ value: Int) {
        add(name, .int(Int64(value)))
    }

    public mutating func add(_ name: StaticString, _ value: Bool) {
        add(name, .bool(value))
    }

    /// A value written as its canonical text already is.
    public mutating func add(_ name: StaticString, canonical value: CanonicalJSON) {
        key(name)
        bytes += value.text.utf8
    }

    /// A value with no direct form, through its `Encodable` one. The wire types encode plain
    /// values only: a failure is a programming error, written as `null`.
    public mutating func add(_ name: StaticString, encoded value: some Encodable) {
        key(name)
        JSONWriter.write((try? JSONValueEncoder.jsonValue(value)) ?? .null, into: &bytes)
    }

    /// A nested object, or `null`.
    public mutating func add(_ name: StaticString, object value: (some JSONDirectlyWritable)?) {
        key(name)
        if let value { Self.write(value, into: &bytes) } else { bytes += "null".utf8 }
    }

    public mutating func add(_ name: StaticString, objects values: [some JSONDirectlyWritable]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (position, value) in values.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.write(value, into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
