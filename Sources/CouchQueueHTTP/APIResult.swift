import CouchQueueModel
import HTTPTypes

/// A controller's answer before it becomes a response.
struct APIResult: Sendable {
    let status: HTTPResponse.Status
    let body: any Encodable & Sendable

    init(_ status: HTTPResponse.Status, _ body: any Encodable & Sendable) {
        self.status = status
        self.body = body
    }

    init(_ body: any Encodable & Sendable) {
        self.init(.ok, body)
    }

    /// The JSON answer. The wire types encode plain values only: a failure is a programming error.
    var response: APIResponse {
        let data = (try? JSONValueEncoder.encode(body)) ?? Array(#"{"error":{"code":"internal_error","message":"encoding failed"}}"#.utf8)
        return APIResponse(status: status, body: data)
    }
}
