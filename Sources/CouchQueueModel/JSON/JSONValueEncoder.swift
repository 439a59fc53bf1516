/// Encodes any `Encodable` to a `JSONValue`, then to compact JSON bytes (`JSONWriter`).
///
/// A lighter stand-in for Foundation's `JSONEncoder` on the hot path: no coding-path
/// bookkeeping, and a task's `data` (already a `JSONValue`) is taken as it is instead of being
/// re-encoded node by node.
public enum JSONValueEncoder {
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        if let direct = value as? any JSONDirectlyWritable { return direct.jsonBytes }
        var bytes: [UInt8] = []
        JSONWriter.write(try jsonValue(value), into: &bytes)
        return bytes
    }

    public static func jsonValue(_ value: some Encodable) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let encoder = TreeEncoder()
        try value.encode(to: encoder)
        return encoder.node.resolved
    }
}

/// A value under construction; containers fill it in place.
private final class Node {
    enum Content {
        case empty
        case value(JSONValue)
        case object([String: Node])
        case array([Node])
    }

    var content = Content.empty

    var resolved: JSONValue {
        switch content {
        case .empty: .object([:])
        case .value(let value): value
        case .object(let members): .object(JSONObject(members.mapValues(\.resolved)))
        case .array(let items): .array(items.map(\.resolved))
        }
    }

    static func of(_ value: some Encodable) throws -> Node {
        let node = Node()
        node.content = .value(try JSONValueEncoder.jsonValue(value))
        return node
    }
}

private struct TreeEncoder: Encoder {
    let node = Node()
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedContainer(node: node)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(node: node)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    var codingPath: [any CodingKey] { [] }

    private func set(_ key: Key, _ child: Node) {
        guard case .object(var members) = node.content else { return }
        node.content = .empty
        members[key.stringValue] = child
        node.content = .object(members)
    }

    mutating func encodeNil(forKey key: Key) throws { set(key, try Node.of(JSONValue.null)) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws { set(key, try Node.of(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = TreeEncoder()
        set(key, child.node)
        return child.container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = TreeEncoder()
        set(key, child.node)
        return child.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = TreeEncoder()
        set(key, child.node)
        return child
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: Node
    var codingPath: [any CodingKey] { [] }
    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    private func append(_ child: Node) {
        guard case .array(var items) = node.content else { return }
        node.content = .empty
        items.append(child)
        node.content = .array(items)
    }

    mutating func encodeNil() throws { append(try Node.of(JSONValue.null)) }
    mutating func encode(_ value: some Encodable) throws { append(try Node.of(value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = TreeEncoder()
        append(child.node)
        return child.container(keyedBy: NestedKey.self)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = TreeEncoder()
        append(child.node)
        return child.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let child = TreeEncoder()
        append(child.node)
        return child
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let node: Node
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { node.content = .value(.null) }
    mutating func encode(_ value: Bool) throws { node.content = .value(.bool(value)) }
    mutating func encode(_ value: String) throws { node.content = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { node.content = .value(.double(value)) }
    mutating func encode(_ value: Float) throws { node.content = .value(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { node.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { node.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { node.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { node.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { node.content = .value(.int(value)) }
    mutating func encode(_ value: UInt) throws { node.content = .value(.int(Int64(clamping: value))) }
    mutating func encode(_ value: UInt8) throws { node.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { node.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { node.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { node.content = .value(.int(Int64(clamping: value))) }
    mutating func encode(_ value: some Encodable) throws { node.content = .value(try JSONValueEncoder.jsonValue(value)) }
}
