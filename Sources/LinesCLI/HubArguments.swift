import Foundation
import Hub

/// `hf://` arguments: resolved to a path in huggingface_hub's cache, downloading what it lacks.
enum HubArguments {
    /// `argument`'s local path: itself, or for `hf://…` (also after `NAME=`) the cached copy.
    /// - Parameter include: for a folder, only files matching these globs (relative to it).
    static func local(_ argument: String, include: [Glob] = []) throws -> String {
        var prefix = ""
        var value = argument
        if let eq = argument.firstIndex(of: "="), !argument[..<eq].contains("/"), argument[argument.index(after: eq)...].hasPrefix("hf://") {
            prefix = String(argument[...eq])
            value = String(argument[argument.index(after: eq)...])
        }
        guard HubAddress.isAddress(value) else { return argument }
        do {
            let address = try HubAddress(value)
            let bar = ByteProgress(label: "Downloading \(address.repository)")
            let url = try HubDownloader().localPath(address, include: include) { bar.update($0, $1) }
            bar.finish()
            return prefix + url.path
        } catch let e as HubError {
            throw CommandFailure(description: e.description)
        }
    }
}
