import Foundation
import Testing
@testable import Datasets

/// The prompt templates and prompt class names against the reference's, through the texts that
/// `Scripts/fixtures/text_fixtures.py` filled in Python (`task_prompts.py`) for the tokenizer corpus.
@Suite("Zero-shot prompt templates of the 20 tasks")
struct TaskTemplatesTests {
    struct Corpus: Decodable {
        struct Case: Decodable { var text: String }
        var cases: [Case]
    }

    static let corpusTexts: Set<String> = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/text/tokenizer_corpus.json")
        guard let data = try? Data(contentsOf: url), let corpus = try? JSONDecoder().decode(Corpus.self, from: data) else { return [] }
        return Set(corpus.cases.map(\.text))
    }()

    @Test("every task has the reference's number of templates, each with one {}")
    func counts() {
        let expected: [TaskName: Int] = [
            .cars: 8, .cifar10: 18, .cifar100: 18, .dtd: 8, .eurosat: 3, .food101: 1, .gtsrb: 3, .mnist: 1,
            .resisc45: 18, .stl10: 2, .sun397: 2, .svhn: 1, .flowers102: 1, .fer2013: 6, .pcam: 1,
            .oxfordIIITPet: 1, .renderedSST2: 1, .emnist: 1, .fashionMNIST: 2, .kmnist: 1,
        ]
        for task in TaskName.allCases {
            #expect(task.templates.count == expected[task], "\(task.rawValue)")
            #expect(task.templates.allSatisfy { $0.components(separatedBy: "{}").count == 2 }, "\(task.rawValue)")
        }
    }

    @Test("every shipped class in every template is a text the Python transcript of the reference made")
    func filledPrompts() {
        #expect(Self.corpusTexts.count >= 1000, "tokenizer_corpus.json missing or short")
        var checked = 0
        for task in TaskName.allCases {
            guard let names = task.classNames.promptNames else { continue }
            for name in names {
                for template in task.templates {
                    let text = template.replacingOccurrences(of: "{}", with: name)
                    #expect(Self.corpusTexts.contains(text), "\(task.rawValue): \(text)")
                    checked += 1
                }
            }
        }
        #expect(checked == 1377)
    }

    @Test("FER2013's classes enter the templates as Python lists, as the reference formats them")
    func ferLists() throws {
        let names = TaskName.fer2013.classNames.promptNames ?? []
        #expect(names.first == "['angry']")
        #expect(names[3] == "['happy', 'smiling']")
        #expect(ClassNames.pythonListRepr(["it's"]) == "[\"it's\"]")
        #expect(TaskName.dtd.classNames.promptNames == nil)
        #expect(TaskName.dtd.classNames.promptNames(loaded: ["banded"]) == ["banded"])
        #expect(throws: DatasetError.self) { try TaskName.dtd.promptNames(dataLocation: nil) }
        #expect(try TaskName.kmnist.promptNames(dataLocation: nil).first == "o")
    }
}
