import Testing
@testable import Datasets

@Suite("The 20 tasks")
struct TaskRegistryTests {
    @Test("ALL_DATASETS order of spec §3.1; the 8-task setting is its first 8")
    func order() {
        #expect(TaskName.allCases.map(\.rawValue) == [
            "EuroSAT", "DTD", "SUN397", "MNIST", "RESISC45", "GTSRB", "Cars", "SVHN", "STL10", "OxfordIIITPet",
            "Flowers102", "CIFAR100", "PCAM", "FER2013", "CIFAR10", "Food101", "FashionMNIST", "RenderedSST2",
            "EMNIST", "KMNIST",
        ])
        #expect(Set(TaskName.first(8)) == [.cars, .dtd, .eurosat, .gtsrb, .mnist, .resisc45, .svhn, .sun397])
    }

    @Test("names parse case-insensitively, with the reference's Val suffix")
    func parse() throws {
        #expect(try TaskName(named: "mnistval") == .mnist)
        #expect(try TaskName(named: "FashionMNIST") == .fashionMNIST)
        #expect(throws: DatasetError.unknownTask("ImageNet")) { try TaskName(named: "ImageNet") }
    }

    @Test("class counts of the shipped lists")
    func classCounts() {
        let counts: [TaskName: Int] = [
            .mnist: 10, .svhn: 10, .emnist: 10, .kmnist: 10, .fashionMNIST: 10, .cifar10: 10, .stl10: 10,
            .renderedSST2: 2, .pcam: 2, .fer2013: 7, .eurosat: 10, .resisc45: 45, .gtsrb: 43, .flowers102: 102,
        ]
        for (task, n) in counts { #expect(task.classNames.shipped?.count == n, "\(task)") }
        for task in [TaskName.dtd, .sun397, .cifar100, .food101, .oxfordIIITPet, .cars] {
            #expect(task.classNames.shipped == nil, "\(task) reads its names from the data")
        }
        #expect(TaskName.gtsrb.classNames.shipped?[14] == "stop")
        #expect(TaskName.resisc45.classNames.shipped?[2] == "baseball diamond")
        #expect(TaskName.eurosat.classNames.shipped?[9] == "lake or sea")
    }

    @Test("reference sizes of spec §3.2")
    func sizes() {
        #expect(TaskName.eurosat.referenceSizes.map { $0 == (2335, 2387) } == true)
        #expect(TaskName.emnist.referenceSizes.map { $0 == (5000, 40000) } == true)
        #expect(TaskName.custom("Mine").referenceSizes == nil)
    }
}

@Suite("Reference split sizes")
struct ReferenceSizeTests {
    @Test("a split of the wrong size is an error naming the task, split and both sizes")
    func wrongSize() throws {
        let data = try TaskLoader.load(.eurosat, dataLocation: datasetRoot)
        #expect(throws: DatasetError.splitSize(task: "EuroSAT", split: "val", expected: 2335, found: 10)) { try data.checkReferenceSizes() }
        let full = TaskDataset(task: .mnist, classNames: [], trainingSet: Array(repeating: data.trainingSet[0], count: 60_000),
                               testSet: Array(repeating: data.trainingSet[0], count: 10_000))
        try full.checkReferenceSizes()
    }
}
