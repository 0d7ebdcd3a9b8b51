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

extension TaskName {
    /// The text of each class that goes into ``templates``: the shipped ``ClassNames/promptNames``,
    /// else the class names read from the task's data under `dataLocation`.
    ///
    /// With ``templates``, what a zero-shot head of this task is built from (spec §4.3).
    /// - Throws: ``DatasetError/missing(task:path:expected:)`` when the names come from the data
    ///   and `dataLocation` is `nil`, and any error of ``TaskLoader/load(_:dataLocation:)``.
    public func promptNames(dataLocation: URL?) throws -> [String] {
        let names = classNames
        if let shipped = names.promptNames { return shipped }
        guard let dataLocation else {
            let source: String
            if case .fromData(let rule) = names { source = rule } else { source = "the data" }
            throw DatasetError.missing(task: rawValue, path: "(no data location given)",
                                       expected: "a data location to read the class names from: \(source)")
        }
        return names.promptNames(loaded: try TaskLoader.load(self, dataLocation: dataLocation).classNames)
    }
}
