import Foundation

extension ClassNames {
    /// The text of each class that the reference puts into its templates, when the names ship
    /// with the code (`nil` for ``fromData(_:)``: use ``promptNames(loaded:)``).
    ///
    /// A fixed name is itself. The reference's FER2013 names are lists of synonyms, and its
    /// templates format the list, so the text is Python's `str` of the list:
    /// `a photo of a ['happy', 'smiling'] looking face.` (spec §4.3; kept for identical heads).
    public var promptNames: [String]? {
        switch self {
        case .fixed(let names): return names
        case .synonyms(let lists): return lists.map(Self.pythonListRepr)
        case .fromData: return nil
        }
    }

    /// ``promptNames`` when the names ship with the code, else the names read from the data.
    public func promptNames(loaded: [String]) -> [String] { promptNames ?? loaded }

    /// Python's `str(list_of_strings)`: `['a', 'b']`, each item quoted as `repr` quotes it.
    static func pythonListRepr(_ items: [String]) -> String {
        "[" + items.map { item -> String in
            let quote = item.contains("'") && !item.contains("\"") ? "\"" : "'"
            var body = item.replacingOccurrences(of: "\\", with: "\\\\")
            if quote == "'" { body = body.replacingOccurrences(of: "'", with: "\\'") }
            return quote + body + quote
        }.joined(separator: ", ") + "]"
    }
}
