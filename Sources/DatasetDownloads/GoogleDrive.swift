import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Google Drive's download links as `gdown` (torchvision's Drive client) follows them: a
/// `uc?export=download&id=…` URL answers with the file itself, or, for a file too large to be
/// scanned for viruses, with an HTML page whose `download-form` (or an older `uc?export=download`
/// link, or a `"downloadUrl"` field) leads to it. An error page's subcaption is the reason to give.
enum GoogleDrive {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The URL that serves the file's bytes: `url` itself when it answers with something other
    /// than HTML (the request is dropped as soon as its headers arrive), else the URL the page leads to.
    static func fileURL(for url: URL, label: String) throws -> URL {
        for attempt in 1... {
            do {
                guard let page = try htmlPage(url) else { return url }
                return try confirmedURL(in: page, from: url, label: label)
            } catch let e as Probe.NetworkError {
                if attempt == 4 { throw Failure(description: "\(label): Google Drive could not be reached at \(url.absoluteString) (\(e.reason))") }
                Thread.sleep(forTimeInterval: 0.2 * Double(attempt))
            }
        }
        return url
    }

    /// The link out of a Drive interstitial page, read as `gdown` reads it.
    static func confirmedURL(in page: String, from url: URL, label: String) throws -> URL {
        let origin = "\(url.scheme ?? "https")://\(url.host ?? "drive.google.com")\(url.port.map { ":\($0)" } ?? "")"
        if let href = first(#"href="(/uc\?export=download[^"]+)""#, in: page), let u = URL(string: origin + unescape(href)) {
            return u
        }
        if let form = first(#"(<form[^>]*id="download-form"[\s\S]*?</form>)"#, in: page),
           let action = attribute("action", in: first(#"(<form[^>]*>)"#, in: form) ?? ""),
           var parts = URLComponents(string: unescape(action)) {
            var items = parts.queryItems ?? []
            for input in all(#"(<input[^>]*>)"#, in: form) where attribute("type", in: input) == "hidden" {
                guard let name = attribute("name", in: input) else { continue }
                let value = unescape(attribute("value", in: input) ?? "")
                items.removeAll { $0.name == name }
                items.append(URLQueryItem(name: name, value: value))
            }
            parts.queryItems = items
            if let u = parts.url { return u }
        }
        if let raw = first(#""downloadUrl":"([^"]+)""#, in: page),
           let u = URL(string: raw.replacingOccurrences(of: "\\u003d", with: "=").replacingOccurrences(of: "\\u0026", with: "&")) {
            return u
        }
        if let reason = first(#"<p class="uc-error-subcaption">(.*)</p>"#, in: page) {
            throw Failure(description: "\(label): Google Drive refused \(url.absoluteString): \(unescape(reason))")
        }
        throw Failure(description: "\(label): Google Drive answered \(url.absoluteString) with a page that leads to no file (its download quota may be exceeded, or the file is no longer shared); try again later or use --mirror")
    }

    /// The body of `url`'s answer when it is an HTML page (at most 4 MB), nil when it is anything else.
    static func htmlPage(_ url: URL) throws -> String? {
        let probe = Probe()
        let session = URLSession(configuration: .ephemeral, delegate: probe, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 60)
        request.setValue("lines (Swift; +https://github.com/lines)", forHTTPHeaderField: "User-Agent")
        session.dataTask(with: request).resume()
        probe.done.wait()
        if let error = probe.error { throw Probe.NetworkError(reason: error) }
        guard probe.isHTML else { return nil }
        if probe.status >= 500 { throw Probe.NetworkError(reason: "HTTP \(probe.status)") }
        return String(decoding: probe.body, as: UTF8.self)
    }

    static func first(_ pattern: String, in text: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let r = Range(m.range(at: 1), in: text) else { return nil }
        return String(text[r])
    }

    static func all(_ pattern: String, in text: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            Range(m.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// An attribute's value in one tag (double or single quotes).
    static func attribute(_ name: String, in tag: String) -> String? {
        first(#"\s"# + name + #"\s*=\s*"([^"]*)""#, in: tag) ?? first(#"\s"# + name + #"\s*=\s*'([^']*)'"#, in: tag)
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    }
}

/// One GET that keeps its body only when it is HTML (bounded), and is dropped otherwise.
private final class Probe: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct NetworkError: Error { let reason: String }
    let done = DispatchSemaphore(value: 0)
    var isHTML = false
    var status = 0
    var body = Data()
    var error: String?
    private var dropped = false

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        status = http?.statusCode ?? 0
        isHTML = (http?.value(forHTTPHeaderField: "Content-Type") ?? "").lowercased().contains("text/html")
        dropped = !isHTML
        completionHandler(isHTML ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        if body.count < 4 << 20 { body.append(data.prefix((4 << 20) - body.count)) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, !dropped { self.error = error.localizedDescription }
        done.signal()
    }
}
