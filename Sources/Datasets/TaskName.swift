/// The paper's 20 tasks, in the reference's `ALL_DATASETS` order (spec §3.1): the 8-, 14- and
/// 20-task settings are the first 8, 14 and 20 cases.
public enum TaskName: String, CaseIterable, Sendable {
    case eurosat = "EuroSAT"
    case dtd = "DTD"
    case sun397 = "SUN397"
    case mnist = "MNIST"
    case resisc45 = "RESISC45"
    case gtsrb = "GTSRB"
    case cars = "Cars"
    case svhn = "SVHN"
    case stl10 = "STL10"
    case oxfordIIITPet = "OxfordIIITPet"
    case flowers102 = "Flowers102"
    case cifar100 = "CIFAR100"
    case pcam = "PCAM"
    case fer2013 = "FER2013"
    case cifar10 = "CIFAR10"
    case food101 = "Food101"
    case fashionMNIST = "FashionMNIST"
    case renderedSST2 = "RenderedSST2"
    case emnist = "EMNIST"
    case kmnist = "KMNIST"

    /// The task named `name`, case-insensitively; a trailing `Val` (the reference's `MNISTVal`) is accepted.
    /// - Throws: ``DatasetError/unknownTask(_:)``.
    public init(named name: String) throws {
        var key = name.lowercased()
        if key.hasSuffix("val") && key != "val" { key.removeLast(3) }
        guard let task = TaskName.allCases.first(where: { $0.rawValue.lowercased() == key }) else {
            throw DatasetError.unknownTask(name)
        }
        self = task
    }

    /// The first `count` tasks (8, 14 or 20 in the paper).
    public static func first(_ count: Int) -> [TaskName] { Array(allCases.prefix(count)) }

    /// The validation and test sizes the reference's result files imply (spec §3.2).
    public var referenceSizes: (val: Int, test: Int) {
        switch self {
        case .mnist: return (5000, 10000)
        case .svhn: return (5000, 26032)
        case .gtsrb: return (2664, 12630)
        case .resisc45: return (1890, 6300)
        case .cars: return (814, 8041)
        case .dtd: return (376, 1880)
        case .sun397: return (1985, 19850)
        case .eurosat: return (2335, 2387)
        case .stl10: return (500, 8000)
        case .oxfordIIITPet: return (368, 3669)
        case .flowers102: return (102, 6149)
        case .cifar10: return (5000, 10000)
        case .cifar100: return (5000, 10000)
        case .pcam: return (5000, 32768)
        case .fer2013: return (2870, 3589)
        case .food101: return (5000, 25250)
        case .fashionMNIST: return (5000, 10000)
        case .renderedSST2: return (692, 1821)
        case .emnist: return (5000, 40000)
        case .kmnist: return (5000, 10000)
        }
    }
}
