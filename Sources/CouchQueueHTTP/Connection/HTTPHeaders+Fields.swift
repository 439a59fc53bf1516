import NIOHTTP1

extension HTTPHeaders {
    /// The values of the fields named `name` (given in lower case), joined by `, ` as
    /// `HTTPFields` joins them; nil when there is none. Reads the fields in place: a field
    /// that appears once is not copied, and nothing is gathered into an array. Later values
    /// are appended in place: a request may repeat a field thousands of times within the head
    /// limit, and joining each onto a new copy of the values before it took time growing with
    /// the square of their number.
    func joinedValues(_ name: String) -> String? {
        var joined: String?
        for field in self where field.name.isFieldName(name) {
            if joined == nil {
                joined = field.value
            } else {
                joined!.append(", ")
                joined!.append(field.value)
            }
        }
        return joined
    }
}

extension String {
    /// Whether this header field name is `lowercased` in any letter case. Field names are ASCII
    /// tokens (RFC 9110, 5.1), and `lowercased` holds only letters and `-`.
    func isFieldName(_ lowercased: String) -> Bool {
        utf8.count == lowercased.utf8.count && zip(utf8, lowercased.utf8).allSatisfy { $0 | 0x20 == $1 }
    }
}
