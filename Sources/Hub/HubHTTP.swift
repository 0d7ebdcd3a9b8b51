import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Hub's HTTP requests through Foundation's `URLSession`: JSON GETs, HEADs that do not
/// follow redirects (the redirect itself carries a file's metadata, as `huggingface_hub` reads it),
/// and streamed downloads from an offset (`Range`). Server errors (5xx, 429) and dropped
/// connections are retried with exponential backoff.
final class HubHTTP: @unchecked Sendable {
    let settings: HubSettings
    /// Attempts per request (the first included).
    var attempts = 5
    /// The first retry's delay; each later one doubles it.
    var retryDelay: Double = 0.5

    init(settings: HubSettings) {
        self.settings = settings
    }

    /// One answer: status, headers (names lowercased), body.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: Data
        var url: URL

        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    func request(_ url: URL, method: String = "GET", headers extra: [String: String] = [:]) -> URLRequest {
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 60)
        r.httpMethod = method
        r.setValue("lines (Swift; +https://github.com/lines)", forHTTPHeaderField: "User-Agent")
        r.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        // The token goes to the Hub only, never to the CDN a file redirects to.
        if let token = settings.token, Self.sameOrigin(url, URL(string: settings.endpoint)) {
            r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        for (k, v) in extra { r.setValue(v, forHTTPHeaderField: k) }
        return r
    }

    /// A request that follows only relative redirects (a renamed or moved repository, which the Hub
    /// redirects on its own origin, as `huggingface_hub` follows them) and stops at one to another
    /// host (a file's CDN location, whose headers carry its metadata); retried on 5xx, 429 and network failures.
    func fetch(_ url: URL, method: String = "GET") throws -> Answer {
        var current = url
        for _ in 0..<10 {
            let answer = try fetchOnce(current, method: method)
            guard [301, 302, 303, 307, 308].contains(answer.status), let location = answer.header("Location"),
                  let next = URL(string: location, relativeTo: current)?.absoluteURL,
                  URLComponents(string: location)?.host == nil else { return answer }
            current = next
        }
        throw HubError.network(url: url.absoluteString, reason: "more than 10 redirects")
    }

    /// One request, no redirect followed.
    private func fetchOnce(_ url: URL, method: String) throws -> Answer {
        try retrying(url) {
            let box = Box()
            let delegate = NoRedirects()
            let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
            defer { session.finishTasksAndInvalidate() }
            let done = DispatchSemaphore(value: 0)
            session.dataTask(with: request(url, method: method)) { data, response, error in
                box.data = data ?? Data(); box.response = response as? HTTPURLResponse; box.error = error
                done.signal()
            }.resume()
            done.wait()
            if let error = box.error { throw Retry.network(error.localizedDescription) }
            guard let r = box.response else { throw Retry.network("no HTTP answer") }
            return Answer(status: r.statusCode, headers: Self.headers(r), body: box.data, url: url)
        }
    }

    /// Streams `url` from byte `offset` into `sink`, which sees every chunk; `restart` is called when
    /// the server ignores `Range` (the sink must start over), `length` with the whole file's size
    /// when the answer tells it. Retries resume where the data stopped.
    /// - Returns: the final answer's headers (status 200 or 206).
    func download(_ url: URL, from offset: Int64, sink: @escaping (Data) throws -> Void, restart: @escaping () throws -> Void,
                  position: @escaping () -> Int64, length: ((Int64) -> Void)? = nil) throws -> Answer {
        try retrying(url) {
            let start = position()
            // A server that ignores Range sends the whole file: the sink starts over first.
            let stream = Stream(sink: sink, whole: start > 0 ? restart : nil)
            stream.length = length.map { report in { status, remaining in report(status == 206 ? start + remaining : remaining) } }
            let session = URLSession(configuration: .ephemeral, delegate: stream, delegateQueue: nil)
            defer { session.finishTasksAndInvalidate() }
            let headers = start > 0 ? ["Range": "bytes=\(start)-"] : [:]
            session.dataTask(with: request(url, headers: headers)).resume()
            stream.done.wait()
            if let failure = stream.failure { throw failure }
            guard let r = stream.response else { throw Retry.network(stream.error?.localizedDescription ?? "no HTTP answer") }
            let answer = Answer(status: r.statusCode, headers: Self.headers(r), body: Data(), url: url)
            if let error = stream.error { throw Retry.network(error.localizedDescription) }
            return answer
        }
    }

    enum Retry: Error {
        case network(String)
        case status(Answer)
    }

    /// Runs `body` up to ``attempts`` times: again after a network failure or a retryable status.
    func retrying(_ url: URL, _ body: () throws -> Answer) throws -> Answer {
        var last: Retry?
        for attempt in 0..<attempts {
            if attempt > 0 { Thread.sleep(forTimeInterval: retryDelay * pow(2, Double(attempt - 1))) }
            do {
                let a = try body()
                if a.status >= 500 || a.status == 429 { last = .status(a); continue }
                return a
            } catch let r as Retry {
                last = r
            }
        }
        switch last {
        case let .status(a)?:
            throw HubError.http(status: a.status, url: url.absoluteString, attempts: attempts, message: Self.message(a))
        case let .network(reason)?:
            throw HubError.network(url: url.absoluteString, reason: "\(reason) (\(attempts) attempts)")
        case nil:
            throw HubError.network(url: url.absoluteString, reason: "no attempt was made")
        }
    }

    /// Whether two URLs have the same scheme, host and port (a prefix test would accept
    /// `https://huggingface.co.example.net`).
    static func sameOrigin(_ a: URL, _ b: URL?) -> Bool {
        guard let b else { return false }
        func port(_ u: URL) -> Int? { u.port ?? (u.scheme == "https" ? 443 : u.scheme == "http" ? 80 : nil) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }

    /// The Hub's own error text (`X-Error-Message`, or `error` in a JSON body).
    static func message(_ a: Answer) -> String {
        if let m = a.header("X-Error-Message") { return m }
        if let obj = try? JSONSerialization.jsonObject(with: a.body) as? [String: Any], let e = obj["error"] as? String { return e }
        return ""
    }

    static func headers(_ r: HTTPURLResponse) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in r.allHeaderFields {
            if let k = k as? String, let v = v as? String { out[k.lowercased()] = v }
        }
        return out
    }
}

/// What a completion handler hands back (written once, read after the semaphore).
private final class Box: @unchecked Sendable {
    var data = Data()
    var response: HTTPURLResponse?
    var error: Error?
}

/// Refuses every redirect: the redirect answer itself is returned.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// Hands each chunk of a 200/206 answer to the sink as it arrives.
private final class Stream: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let sink: (Data) throws -> Void
    let whole: (() throws -> Void)?
    /// Told the status and the answer's Content-Length, when known.
    var length: ((Int, Int64) -> Void)?
    let done = DispatchSemaphore(value: 0)
    var response: HTTPURLResponse?
    var error: Error?
    /// A failure of the sink (a write error, a checksum): not retried.
    var failure: Error?

    init(sink: @escaping (Data) throws -> Void, whole: (() throws -> Void)?) {
        self.sink = sink
        self.whole = whole
    }

    /// A redirect to another origin carries no credentials (Foundation on Linux copies every header).
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        var next = request
        if let from = task.originalRequest?.url, let to = request.url, !HubHTTP.sameOrigin(from, to) {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        self.response = response as? HTTPURLResponse
        let ok = [200, 206].contains(self.response?.statusCode ?? 0)
        if ok, self.response?.statusCode == 200, let whole {
            do { try whole() } catch { failure = error; completionHandler(.cancel); return }
        }
        if ok, response.expectedContentLength > 0, let status = self.response?.statusCode { length?(status, response.expectedContentLength) }
        completionHandler(ok ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        // Only a 200/206 body is content (an error answer's body may still arrive after .cancel).
        guard failure == nil, [200, 206].contains(response?.statusCode ?? 0) else { return }
        do { try sink(data) } catch {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        // A task cancelled because of its status is not a network failure: its status says what happened.
        if let e = error as? URLError, e.code == .cancelled, failure != nil || ![200, 206].contains(response?.statusCode ?? 0) {
            self.error = nil
        } else {
            self.error = error
        }
        done.signal()
    }
}
