import CouchQueueModel
import Foundation
import HTTPTypes
import NIOCore

/// Reads a request's parameters: its query string, then its body (JSON object or form).
struct RequestBodyReader: Sendable {
    let maxJSONDepth: Int

    func parameters(of request: APIRequest) throws(APIError) -> RequestParameters {
        var parameters = RequestParameters(maxJSONDepth: maxJSONDepth)
        if let query = request.query {
            parameters.merge(texts: try FormDecoding.decode(String(query)))
        }
        guard request.body.readableBytes > 0 else { return parameters }
        if let codings = request.field("content-encoding") { try Self.requireIdentityEncoding(codings) }
        let bytes = request.body.readableBytesView
        let contentType = request.field("content-type")
        switch BodyKind(contentType: contentType, firstByte: bytes.first(where: { !Self.isSpace($0) })) {
        case .json:
            let value: JSONValue
            do {
                value = try JSONValue.parse(bytes, maxDepth: maxJSONDepth)
            } catch {
                throw .badRequest(error.message)
            }
            guard case .object(let members) = value else { throw .badRequest("a JSON body must be an object of parameters") }
            parameters.merge(json: members)
        case .form:
            guard let text = String(validating: bytes, as: UTF8.self) else {
                // Untyped, it was only taken for a form: bytes that are not text are neither.
                guard contentType != nil else { throw Self.unsupported("a body without a Content-Type that is not UTF-8 text") }
                throw .badRequest("a form body must be UTF-8 text")
            }
            parameters.merge(texts: try FormDecoding.decode(text))
        case .unsupported(let type):
            throw Self.unsupported(type: type)
        }
        return parameters
    }

    /// Refuses a body from its header fields alone: a coding other than `identity`, or a type
    /// that is neither JSON nor a form (an untyped body is told by its first byte).
    func checkBodyHeaders(of request: APIRequest) throws(APIError) {
        if let codings = request.field("content-encoding") { try Self.requireIdentityEncoding(codings) }
        if let contentType = request.field("content-type"), case .unsupported(let type) = BodyKind(contentType: contentType, firstByte: nil) {
            throw Self.unsupported(type: type)
        }
    }

    /// A compressed body would otherwise be read as text and refused as malformed JSON, which
    /// misleads its sender: say which coding is not understood (RFC 9110, 15.5.16). `codings`
    /// is every `Content-Encoding` field's value, joined by commas.
    private static func requireIdentityEncoding(_ codings: String) throws(APIError) {
        let codings = codings.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let coding = codings.first(where: { !$0.isEmpty && $0.lowercased() != "identity" }) else { return }
        var error = APIError(
            .unsupportedMediaType, "unsupported_media_type",
            "a body with Content-Encoding \(coding.prefix(100)) is not supported: send it uncompressed")
        error.header = HTTPField(name: .acceptEncoding, value: "identity")
        throw error
    }

    private static func unsupported(type: String) -> APIError {
        unsupported(type.isEmpty ? "an empty Content-Type" : String(type.prefix(100)))
    }

    private static func unsupported(_ what: String) -> APIError {
        APIError(.unsupportedMediaType, "unsupported_media_type", "a body must be JSON (application/json) or a form (application/x-www-form-urlencoded), not \(what)")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    /// How to read a body. A form-typed or untyped body that opens with `{` is JSON: that is
    /// what `curl -d '{…}'` sends without a `Content-Type`.
    private enum BodyKind {
        case json, form, unsupported(String)

        init(contentType: String?, firstByte: UInt8?) {
            let looksLikeJSON = firstByte == UInt8(ascii: "{")
            guard let contentType else {
                self = looksLikeJSON ? .json : .form
                return
            }
            if contentType == "application/json" {  // what nearly every client sends, read without allocating
                self = .json
                return
            }
            // The media type: up to any `;` parameters, without spaces, in lower case.
            let mediaType = contentType.prefix { $0 != ";" }.filter { $0 != " " && $0 != "\t" }.lowercased()
            switch mediaType {
            case "application/json": self = .json
            case _ where mediaType.hasSuffix("+json"): self = .json
            case "application/x-www-form-urlencoded": self = looksLikeJSON ? .json : .form
            default: self = .unsupported(contentType)
            }
        }
    }
}
