import CouchQueueModel
import Dispatch
import HTTPTypes

/// A controller's answer, encoded.
struct APIResult: Sendable {
    private(set) var response: APIResponse

    /// The wire types encode plain values only: a failure is a programming error.
    init(_ status: HTTPResponse.Status, _ body: any Encodable & Sendable) {
        let data = (try? JSONValueEncoder.encode(body)) ?? Array(#"{"error":{"code":"internal_error","message":"encoding failed"}}"#.utf8)
        response = APIResponse(status: status, body: data)
    }

    init(_ body: any Encodable & Sendable) {
        self.init(.ok, body)
    }

    /// Encodes `body` off the event loops, for an answer that may be large: a status's page of
    /// failed tasks, each up to the body limit, is tens of megabytes by default, and the loop
    /// that would encode it serves other connections.
    ///
    /// `reservation`, taken before the body was read, then holds the answer's size until the
    /// answer is written.
    static func encodedOffTheLoop(
        _ body: any Encodable & Sendable, holding reservation: MemoryBudget.Reservation? = nil
    ) async -> APIResult {
        var result = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async { continuation.resume(returning: APIResult(body)) }
        }
        reservation?.resize(to: result.response.body.count)
        result.response.reservation = reservation
        return result
    }
}
