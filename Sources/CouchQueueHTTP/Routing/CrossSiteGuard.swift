/// Refuses state changes that a browser sends on behalf of another site: a
/// `Sec-Fetch-Site: cross-site` header, or an `Origin` other than the server's own.
/// Clients that are not browsers send neither header.
///
/// A browser's request, a read as much as a change, must also have reached the server under
/// a name that is its own: an IP address, `localhost`, or a name given with `--public-host`.
/// Otherwise another site could point its own name at this server's address (DNS
/// rebinding): the browser then sends that site's name as both `Origin` and `Host`, the
/// request looks same-origin, and the site may read the answer (a status's failed tasks and
/// their data). A read from another site under the server's own name is served: the browser
/// does not let that site read the answer.
struct CrossSiteGuard: Sendable {
    /// Lower-cased host names, without ports.
    let publicHosts: Set<String>

    init(publicHosts: [String]) {
        self.publicHosts = Set(publicHosts.map { $0.lowercased() })
    }

    func check(_ request: APIRequest, action: Action) throws(APIError) {
        let fetchSite = request.field("sec-fetch-site")?.lowercased()
        let origin = request.field("origin")?.lowercased()
        // Clients that are not browsers (most requests) send neither header: nothing to compare.
        guard origin != nil || fetchSite != nil else { return }
        let authority = (request.authority ?? "").lowercased()
        // A change from another site is refused as such first: naming the server with
        // --public-host would not let it through.
        if action.changesState {
            if fetchSite == "cross-site" {
                throw Self.refusal
            }
            if let origin, !Self.isOrigin(origin, of: authority) {
                throw Self.refusal
            }
        }
        if !isOwnName(host(of: authority)) {
            throw APIError(.forbidden, "forbidden", "a browser may reach this server only through an IP address, localhost or a name given with --public-host")
        }
    }

    /// The server's own origin, over either scheme (a proxy may add TLS). A browser leaves the
    /// scheme's default port out of `Origin`, while a `Host` may name it (`:80`, `:443`).
    private static func isOrigin(_ origin: String, of authority: String) -> Bool {
        [("http://", ":80"), ("https://", ":443")].contains { scheme, defaultPort in
            origin == scheme + authority || (authority.hasSuffix(defaultPort) && origin == scheme + authority.dropLast(defaultPort.count))
        }
    }

    private func isOwnName(_ host: Substring) -> Bool {
        host.hasPrefix("[") || Self.isIPv4(host) || host == "localhost" || host.hasSuffix(".localhost") || publicHosts.contains(String(host))
    }

    /// `name`, `name:port`, `[v6]` or `[v6]:port`, without the port, and a name without the
    /// final dot of a fully qualified one (`localhost.`).
    private func host(of authority: String) -> Substring {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return authority[...end] }
        let name = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return name.hasSuffix(".") ? name.dropLast() : name
    }

    private static func isIPv4(_ host: Substring) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { (1...3).contains($0.count) && $0.allSatisfy { ("0"..."9").contains($0) } && UInt8($0) != nil }
    }

    private static var refusal: APIError {
        APIError(.forbidden, "forbidden", "cross-site requests may not change state; send the request from the server's own site or without a browser")
    }
}
