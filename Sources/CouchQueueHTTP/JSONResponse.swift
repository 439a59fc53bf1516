import CouchQueueModel
import Hummingbird

/// Writes the JSON answers; every response of the API is a JSON object.
enum JSONResponse {
    static func make(status: HTTPResponse.Status, body: some Encodable) -> Response {
        // The wire types encode plain values only; a failure here is a programming error.
        let data = (try? JSONValueEncoder.encode(body)) ?? Array(#"{"error":{"code":"internal_error","message":"encoding failed"}}"#.utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

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

    var response: Response { JSONResponse.make(status: status, body: body) }
}
