import CouchQueueModel
import Hummingbird
import NIOCore

/// Reads a request's parameters: its query string, then its body (JSON object or form) within
/// the size limit, checked against `Content-Length` before a byte of the body is read.
struct RequestBodyReader: Sendable {
    let bodyLimit: Int
    let maxJSONDepth: Int

    func parameters(of request: Request) async throws(APIError) -> RequestParameters {
        var parameters = RequestParameters(maxJSONDepth: maxJSONDepth)
        if let query = request.uri.query {
            parameters.merge(try FormDecoding.decode(query).mapValues { .text($0) })
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > bodyLimit {
            throw tooLarge
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: bodyLimit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        } catch {
            throw .badRequest("the request body could not be read")
        }
        guard body.readableBytes > 0 else { return parameters }
        let bytes = body.readableBytesView
        switch BodyKind(contentType: request.headers[.contentType], firstByte: bytes.first(where: { !Self.isSpace($0) })) {
        case .json:
            let value: JSONValue
            do {
                value = try JSONValue.parse(bytes, maxDepth: maxJSONDepth)
            } catch {
                throw .badRequest(error.message)
            }
            guard case .object(let members) = value else { throw .badRequest("a JSON body must be an object of parameters") }
            parameters.merge(members.mapValues { .json($0) })
        case .form:
            parameters.merge(try FormDecoding.decode(String(decoding: bytes, as: UTF8.self)).mapValues { .text($0) })
        case .unsupported(let type):
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "a body must be JSON (application/json) or a form (application/x-www-form-urlencoded), not \(type.prefix(100))")
        }
        return parameters
    }

    private var tooLarge: APIError {
        APIError(.contentTooLarge, "payload_too_large", "the request body is larger than the limit of \(bodyLimit) bytes")
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
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            switch mediaType {
            case "application/json": self = .json
            case _ where mediaType.hasSuffix("+json"): self = .json
            case "application/x-www-form-urlencoded": self = looksLikeJSON ? .json : .form
            default: self = .unsupported(contentType)
            }
        }
    }
}
