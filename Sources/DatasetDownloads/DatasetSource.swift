import Foundation

/// Where a task's files come from, as the reference's loaders (torchvision's datasets) fetch
/// them, and where they go under `data_location` so that `lines datasets` reads them.
public struct DatasetSource: Sendable, Equatable {
    /// One file to fetch.
    public struct File: Sendable, Equatable {
        /// Its URL (``DatasetDownloader/mirror`` replaces everything before the file name).
        public var url: String
        /// torchvision's MD5 of it.
        public var md5: String
        /// What is done with it once checked.
        public var action: Action

        public init(url: String, md5: String, action: Action) {
            self.url = url
            self.md5 = md5
            self.action = action
        }

        /// The file's name in its URL.
        public var name: String { String(url.split(separator: "/").last ?? Substring(url)) }
    }

    /// What becomes of a fetched file.
    public enum Action: Sendable, Equatable {
        /// Kept as it is, in this folder (relative to `data_location`): IDX `.gz` files, `.mat` files.
        case place(String)
        /// A `.tar.gz` extracted into this folder; these of its entries must then exist.
        case extractTarGz(into: String, provides: [String])
        /// A `.zip` extracted into this folder; these of its entries must then exist.
        case extractZip(into: String, provides: [String])
        /// The members of a `.zip` whose path starts with `prefix`, placed in this folder by name.
        case unzipMembers(prefix: String, into: String)
        /// DTD's `dtd-r1.0.1.tar.gz` made into the reference's folders (mlfoundations/task_vectors
        /// issue #1): partition 1's train and val images in `dtd/train/{class}/`, its test images
        /// in `dtd/val/{class}/` (the reference's test set).
        case dtdFolders
    }

    /// The task's name (``Datasets/TaskName`` raw value).
    public var task: String
    public var files: [File]

    public init(task: String, files: [File]) {
        self.task = task
        self.files = files
    }

    /// The tasks Lines fetches by itself: torchvision's URLs and MD5s (torchvision 0.29's datasets),
    /// laid out as torchvision's `download=True` leaves them under the reference's roots.
    public static let builtIn: [DatasetSource] = {
        func idx(_ task: String, _ base: String, _ md5s: [String]) -> DatasetSource {
            let names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
            return DatasetSource(task: task, files: zip(names, md5s).map { File(url: base + $0, md5: $1, action: .place("\(task)/raw")) })
        }
        return [
            idx("MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/",
                ["f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432", "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"]),
            idx("FashionMNIST", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                ["8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe", "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"]),
            idx("KMNIST", "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
                ["bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344", "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"]),
            DatasetSource(task: "CIFAR10", files: [File(url: "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", md5: "c58f30108f718f92721af3b95e74349a",
                                                        action: .extractTarGz(into: "", provides: ["cifar-10-batches-py"]))]),
            DatasetSource(task: "CIFAR100", files: [File(url: "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz", md5: "eb9058c3a382ffc7106e4002c42a8d85",
                                                         action: .extractTarGz(into: "", provides: ["cifar-100-python"]))]),
            DatasetSource(task: "SVHN", files: [
                File(url: "http://ufldl.stanford.edu/housenumbers/train_32x32.mat", md5: "e26dedcc434d2e4c54c9b2d4a06d8373", action: .place("svhn")),
                File(url: "http://ufldl.stanford.edu/housenumbers/test_32x32.mat", md5: "eb5a983be6a315427106f1b164d9cef3", action: .place("svhn")),
            ]),
            DatasetSource(task: "STL10", files: [File(url: "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz", md5: "91f7769df0f17e558f3565bffb0c7dfb",
                                                      action: .extractTarGz(into: "stl10", provides: ["stl10_binary"]))]),
            DatasetSource(task: "Flowers102", files: [
                File(url: "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz", md5: "52808999861908f626f3c1f4e79d11fa",
                     action: .extractTarGz(into: "flowers102/flowers-102", provides: ["jpg"])),
                File(url: "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/imagelabels.mat", md5: "e0620be6f572b9609742df49c70aed4d", action: .place("flowers102/flowers-102")),
                File(url: "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/setid.mat", md5: "a5357ecc9cb78c4bef273ce3793fc85c", action: .place("flowers102/flowers-102")),
            ]),
            DatasetSource(task: "OxfordIIITPet", files: [
                File(url: "https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz", md5: "5c4f3ee8e5d25df40f4fd59a7f44e54c",
                     action: .extractTarGz(into: "OxfordIIITPet/oxford-iiit-pet", provides: ["images"])),
                File(url: "https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz", md5: "95a8c909bbe2e81eed6a22bccdf3f68f",
                     action: .extractTarGz(into: "OxfordIIITPet/oxford-iiit-pet", provides: ["annotations"])),
            ]),
            DatasetSource(task: "GTSRB", files: [
                File(url: "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/GTSRB-Training_fixed.zip", md5: "513f3c79a4c5141765e10e952eaa2478",
                     action: .extractZip(into: "gtsrb", provides: ["GTSRB/Training"])),
                File(url: "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/GTSRB_Final_Test_Images.zip", md5: "c7e4e6327067d32654124b0fe9e82185",
                     action: .extractZip(into: "gtsrb", provides: ["GTSRB/Final_Test"])),
                File(url: "https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370/GTSRB_Final_Test_GT.zip", md5: "fe31e9c9270bbcd7b84b7f21a9d9d9e5",
                     action: .extractZip(into: "gtsrb", provides: ["GT-final_test.csv"])),
            ]),
            DatasetSource(task: "EMNIST", files: [File(url: "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip", md5: "58c8d27c78d21e728a6bc7b3cc06412e",
                                                       action: .unzipMembers(prefix: "gzip/emnist-digits-", into: "EMNIST/EMNIST/raw"))]),
            DatasetSource(task: "DTD", files: [File(url: "https://www.robots.ox.ac.uk/~vgg/data/dtd/download/dtd-r1.0.1.tar.gz",
                                                    md5: "fff73e5086ae6bdbea199a49dfb8a4c1", action: .dtdFolders)]),
            DatasetSource(task: "Food101", files: [File(url: "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz", md5: "85eeb15f3717b99a5da872d97d918f87",
                                                        action: .extractTarGz(into: "food101", provides: ["food-101"]))]),
            DatasetSource(task: "RenderedSST2", files: [File(url: "https://openaipublic.azureedge.net/clip/data/rendered-sst2.tgz", md5: "2384d08e9dcfa4bd55b324e610496ee5",
                                                             action: .extractTarGz(into: "RenderedSST2", provides: ["rendered-sst2"]))]),
        ]
    }()

    /// What a user does by hand for the tasks not fetched yet (the reference's documented steps).
    public static let manualSteps: [String: String] = [
        "EuroSAT": "the reference reads EuroSAT_splits/{train,val,test}: download EuroSAT (RGB) and split it as mlfoundations/task_vectors' README says",
        "SUN397": "download SUN397 and make sun397/{train,val} with the split script in mlfoundations/task_vectors' README",
        "RESISC45": "download NWPU-RESISC45 into resisc45/NWPU-RESISC45 with the split files resisc45-{train,test}.txt (mlfoundations/task_vectors' README)",
        "Cars": "Stanford Cars is no longer served by its authors: place its devkit and images under stanford_cars/ as torchvision's StanfordCars reads them",
        "PCAM": "not fetched by Lines yet: torchvision's PCAM(download=True) writes PCAM/pcam/",
        "FER2013": "not fetched by Lines yet: place fer2013.csv (Kaggle's challenge file) under fer2013/",
    ]
}
