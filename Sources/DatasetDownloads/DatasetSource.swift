import Foundation
import Hub

/// Where a task's files come from, as the reference's loaders (torchvision's datasets) fetch
/// them, and where they go under `data_location` so that `lines datasets` reads them.
public struct DatasetSource: Sendable, Equatable {
    /// One file to fetch.
    public struct File: Sendable, Equatable {
        /// Its URL (``DatasetDownloader/mirror`` replaces everything before the file name).
        public var url: String
        /// The checksum its host publishes (torchvision's MD5s, torchgeo's SHA-256s).
        public var checksum: FileFetcher.Checksum
        /// What is done with it once checked.
        public var action: Action
        /// How its URL is asked for.
        public var host: Host
        private var explicitName: String?

        public init(url: String, md5: String, action: Action) {
            self.init(url: url, checksum: .md5(md5), action: action)
        }

        public init(url: String, checksum: FileFetcher.Checksum, action: Action, host: Host = .direct, name: String? = nil) {
            self.url = url
            self.checksum = checksum
            self.action = action
            self.host = host
            self.explicitName = name
        }

        /// The file's name: the one given, else the last component of its URL.
        public var name: String {
            get { explicitName ?? String(url.split(separator: "/").last ?? Substring(url)) }
            set { explicitName = newValue }
        }
    }

    /// How a file's URL is asked for.
    public enum Host: Sendable, Equatable {
        /// A plain GET (redirects followed).
        case direct
        /// Google Drive's `uc?export=download&id=…`: a large file first answers with a virus-scan
        /// page whose form (or link) leads to the file, as `gdown` (torchvision's Drive client) reads it.
        case googleDrive
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
        /// A `.gz` inflated into this folder under its name without `.gz` (PCAM's HDF5 files).
        case gunzip(into: String)
        /// Kept in the staging folder for a later file of the same task (SUN397's `Partitions.zip`).
        case stage
        /// SUN397's `SUN397.tar.gz` made into `sun397/{train,val}/{a_abbey,…}/` from partition 1's
        /// `Training_01.txt` / `Testing_01.txt` in the staged zip named here (spec §3.2).
        case sun397Folders(partitions: String)
        /// EuroSAT RGB's zip (`2750/{class}/*.jpg`) randomly split 80/10/10 into
        /// `EuroSAT_splits/{train,val,test}/{class}/` (21,600 / 2,700 / 2,700 of its 27,000 images,
        /// as the reference's authors describe the split): the images sorted by path, permuted by
        /// `torch.randperm(n, generator=torch.Generator().manual_seed(0))`.
        case eurosatSplits
        /// DTD's `dtd-r1.0.1.tar.gz` made into the reference's folders (mlfoundations/task_vectors
        /// issue #1): partition 1's train and val images in `dtd/train/{class}/`, its test images
        /// in `dtd/val/{class}/` (the reference's test set).
        case dtdFolders
    }

    /// A Hugging Face dataset repository's Parquet files, as `datasets.load_dataset` reads them.
    public struct HubParquet: Sendable, Equatable {
        /// `owner/name` of the dataset repository.
        public var repository: String
        /// The revision holding the Parquet files (the Hub's conversion branch).
        public var revision: String
        public init(repository: String, revision: String) {
            self.repository = repository
            self.revision = revision
        }
    }

    /// The task's name (``Datasets/TaskName`` raw value).
    public var task: String
    public var files: [File]
    /// Set for a task read from the Hub (FER2013): its files come through the Hub's cache instead.
    public var hub: HubParquet?

    public init(task: String, files: [File], hub: HubParquet? = nil) {
        self.task = task
        self.files = files
        self.hub = hub
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
            DatasetSource(task: "SUN397", files: [
                // tensorflow-datasets' MD5 of the partitions; torchvision's of the images.
                File(url: "https://vision.princeton.edu/projects/2010/SUN/download/Partitions.zip", md5: "29a205c0a0129d21f36cbecfefe81881", action: .stage),
                File(url: "http://vision.princeton.edu/projects/2010/SUN/SUN397.tar.gz", md5: "8ca2778205c41d23104230ba66911c7a",
                     action: .sun397Folders(partitions: "Partitions.zip")),
            ]),
            DatasetSource(task: "EuroSAT", files: [
                File(url: "https://huggingface.co/datasets/torchgeo/eurosat/resolve/c877bcd43f099cd0196738f714544e355477f3fd/EuroSAT.zip",
                     md5: "c8fa014336c82ac7804f0398fcb19387", action: .eurosatSplits),
            ]),
            // torchgeo's copy of NWPU-RESISC45 and of the split files of "In-domain representation learning for remote sensing".
            DatasetSource(task: "RESISC45", files: [
                File(url: "https://hf.co/datasets/isaaccorley/resisc45/resolve/883edc0eee77b2c84225472f10f126e3ed83fa6e/NWPU-RESISC45.zip",
                     checksum: .sha256("beeecd0b63656290ae6d65cf7763185b0c1c4c54a753ef8088d6fba3faaf1f53"),
                     action: .extractZip(into: "resisc45", provides: ["NWPU-RESISC45"])),
                File(url: "https://hf.co/datasets/isaaccorley/resisc45/resolve/883edc0eee77b2c84225472f10f126e3ed83fa6e/resisc45-train.txt",
                     checksum: .sha256("ecfa963be4d85eac83665f8be8634abcb4fe6f3546472cc0e87999e2cab4449b"), action: .place("resisc45")),
                File(url: "https://hf.co/datasets/isaaccorley/resisc45/resolve/883edc0eee77b2c84225472f10f126e3ed83fa6e/resisc45-test.txt",
                     checksum: .sha256("e0927e80130b47317a2f18520d98382b6fc56f0d3edd3345140f7d02267c3805"), action: .place("resisc45")),
            ]),
            // torchvision's PCAM: the train and test HDF5 files, gzip'd on Google Drive (MD5s of the .gz).
            DatasetSource(task: "PCAM", files: [
                ("camelyonpatch_level_2_split_train_x.h5", "1Ka0XfEMiwgCYPdTI-vv6eUElOBnKFKQ2", "1571f514728f59376b705fc836ff4b63"),
                ("camelyonpatch_level_2_split_train_y.h5", "1269yhu3pZDP8UYFQs-NYs3FPwuK-nGSG", "35c2d7259d906cfc8143347bb8e05be7"),
                ("camelyonpatch_level_2_split_test_x.h5", "1qV65ZqZvWzuIVthK8eVDhIwrbnsJdbg_", "d8c2d60d490dbd479f8199bdfa0cf6ec"),
                ("camelyonpatch_level_2_split_test_y.h5", "17BHrSrwWKjYsOgTMmoqrIjDy6Fa2o_gP", "60a7035772fbdb7f34eb86d4420cf66a"),
            ].map { name, id, md5 in
                File(url: "https://drive.google.com/uc?export=download&id=\(id)", checksum: .md5(md5), action: .gunzip(into: "PCAM/pcam"),
                     host: .googleDrive, name: name + ".gz")
            }),
            // The reference's load_dataset("Jeneral/fer-2013"): the Hub's Parquet conversion of the repo.
            DatasetSource(task: "FER2013", files: [], hub: HubParquet(repository: "Jeneral/fer-2013", revision: "refs/convert/parquet")),
            DatasetSource(task: "RenderedSST2", files: [File(url: "https://openaipublic.azureedge.net/clip/data/rendered-sst2.tgz", md5: "2384d08e9dcfa4bd55b324e610496ee5",
                                                             action: .extractTarGz(into: "RenderedSST2", provides: ["rendered-sst2"]))]),
        ]
    }()

    /// What a user does by hand for the tasks Lines cannot fetch.
    public static let manualSteps: [String: String] = [
        "Cars": "Stanford Cars is no longer served by its authors: place its devkit and images under stanford_cars/ as torchvision's StanfordCars reads them",
    ]
}
