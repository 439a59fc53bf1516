import HTTPTypes

/// Refuses state changes that a browser sends on behalf of another site: a
/// `Sec-Fetch-Site: cross-site` header, or an `Origin` other than the server's own.
/// Clients that are not browsers send neither header.
enum CrossSiteGuard {
    private static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    static func check(_ request: HTTPRequest, action: Action) throws(APIError) {
        guard action.changesState else { return }
        if request.headerFields[secFetchSite]?.lowercased() == "cross-site" {
            throw refusal
        }
        if let origin = request.headerFields[.origin] {
            let host = request.authority ?? ""
            guard origin.lowercased() == "http://\(host)".lowercased() || origin.lowercased() == "https://\(host)".lowercased() else {
                throw refusal
            }
        }
    }

    private static var refusal: APIError {
        APIError(.forbidden, "forbidden", "cross-site requests may not change state; send the request from the server's own site or without a browser")
    }
}
