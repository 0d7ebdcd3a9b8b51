import Foundation

/// What a `data_location` holds for one task: the loaded dataset, or why it could not be loaded.
public struct TaskSurvey: Sendable {
    /// The task.
    public var task: TaskName
    /// The file or folder the loader looks for first (``TaskLoader/expectedLayout(_:)``).
    public var lookedFor: String
    /// The dataset, when it loaded.
    public var dataset: TaskDataset?
    /// The loader's one-sentence error, when it did not.
    public var problem: String?
    /// False when this version of Lines has no reader for the task's format.
    public var isSupported = true

    /// Loads `task` from `dataLocation`, keeping the error instead of throwing it.
    public init(task: TaskName, dataLocation: URL) {
        self.task = task
        self.lookedFor = TaskLoader.expectedLayout(task)
        do {
            dataset = try TaskLoader.load(task, dataLocation: dataLocation)
        } catch let error as DatasetError {
            problem = error.description
            if case .unsupportedTask = error { isSupported = false }
        } catch {
            problem = "\(error)"
        }
    }

    /// Surveys the first `count` tasks (all 20 by default), in `ALL_DATASETS` order.
    public static func all(dataLocation: URL, count: Int = TaskName.allCases.count) -> [TaskSurvey] {
        TaskName.first(count).map { TaskSurvey(task: $0, dataLocation: dataLocation) }
    }
}
