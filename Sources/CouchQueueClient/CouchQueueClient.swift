import AsyncHTTPClient
import CouchQueueModel
import Foundation
import NIOCore
import NIOHTTP1

/// A typed client for the CouchQueue HTTP API, over a pooled, keep-alive `HTTPClient`.
public struct CouchQueueClient: Sendable {
    public let baseURL: String
    let http: HTTPClient
    /// Answers larger than this are refused rather than buffered.
    let maxResponseBytes = 64 * 1_048_576

    /// `baseURL` such as `http://127.0.0.1:7878`; the caller owns `http` and shuts it down.
    public init(baseURL: String, http: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
    }

    /// Sends one request with a JSON body and decodes the answer, or throws `ClientError`.
    func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, _ body: [String: JSONValue]? = nil, as: Answer.Type
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: maxResponseBytes)
        guard (200..<300).contains(response.status.code) else {
            let detail = try? JSONDecoder().decode(ErrorResponse.self, from: Data(bytes.readableBytesView))
            throw ClientError(status: Int(response.status.code), code: detail?.error.code ?? "http_error",
                              message: detail?.error.message ?? "HTTP \(response.status.code)")
        }
        return try JSONDecoder().decode(Answer.self, from: Data(bytes.readableBytesView))
    }
}

/// An error answer from the server, in the contract's shape.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String
    public var description: String { "\(status) \(code): \(message)" }
}
