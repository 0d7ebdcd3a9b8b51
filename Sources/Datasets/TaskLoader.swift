import Foundation

/// Reads a task from a reference-style `data_location` folder, with no conversion step.
///
/// Layouts (relative to the data location; `{a|b}` = either is accepted, first one wins):
/// - MNIST: `MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` (torchvision).
/// - FashionMNIST, KMNIST: `{X/X/raw|X/raw}/…` with MNIST's file names (the reference roots
///   torchvision at `data/X`, which adds another `X`).
/// - EMNIST: `{EMNIST/EMNIST/raw|EMNIST/raw}/emnist-digits-{train,test}-{images-idx3,labels-idx1}-ubyte[.gz]`.
/// - GTSRB: `{gtsrb/gtsrb|gtsrb}/GTSRB/Training/<class>/*.ppm` and `…/GT-final_test.csv` naming files
///   in `…/GTSRB/Final_Test/Images/` (the LiNeS reference adds a `gtsrb/` level to torchvision's).
/// - DTD, SUN397: `dtd/{train,val}`, `sun397/{train,val}` image folders (`val` is the test set).
/// - EuroSAT: `EuroSAT_splits/{train,val,test}` image folders.
/// - RESISC45: `resisc45/NWPU-RESISC45/<class>/*` filtered by `resisc45/resisc45-{train,test}.txt`.
/// - FER2013: `fer2013/fer2013.csv` or `fer2013/icml_face_data.csv` (torchvision), else
///   `fer2013/{train,test}/<emotion>/*` image folders (Kaggle's image version).
/// - CIFAR10, CIFAR100: `cifar-10-batches-py/{data_batch_1…5,test_batch}`,
///   `cifar-100-python/{train,test,meta}` (Python pickles, torchvision's download).
/// - Food101: `food101/food-101/meta/{train,test}.json` and `images/` (torchvision).
/// - OxfordIIITPet: `OxfordIIITPet/oxford-iiit-pet/annotations/{trainval,test}.txt` and `images/` (torchvision).
/// - SVHN: `svhn/{train,test}_32x32.mat`; Flowers102: `flowers102/flowers-102/{setid,imagelabels}.mat`
///   and `jpg/`; Cars: `stanford_cars/devkit/{cars_meta,cars_train_annos}.mat`,
///   `stanford_cars/cars_test_annos_withlabels.mat`, `cars_train/`, `cars_test/` (MATLAB level-5
///   files, read by ``MATFile``; torchvision's layouts).
/// - PCAM: `PCAM/pcam/camelyonpatch_level_2_split_{train,test}_{x,y}.h5` (HDF5 through libhdf5; torchvision).
/// - STL10: `stl10/stl10_binary/{train,test}_{X,y}.bin` and `class_names.txt` (torchvision).
/// - RenderedSST2: `RenderedSST2/rendered-sst2/{train,test}/{negative,positive}/*.png` (torchvision).
///
/// Every split except EuroSAT's validation is the reference's: a ``RandomSplit`` of the training set.
public enum TaskLoader {
    /// Loads `task` from `dataLocation`.
    /// - Throws: ``DatasetError`` naming the task, the path and what was expected (missing file,
    ///   malformed file, a split file listing more files than found).
    public static func load(_ task: TaskName, dataLocation: URL) throws -> TaskDataset {
        switch task {
        case .mnist, .fashionMNIST, .kmnist, .emnist:
            return try loadIDX(task, dataLocation: dataLocation)
        case .gtsrb:
            return try loadGTSRB(dataLocation: dataLocation)
        case .dtd, .sun397:
            return try loadTrainValFolders(task, dataLocation: dataLocation)
        case .eurosat:
            return try loadEuroSAT(dataLocation: dataLocation)
        case .resisc45:
            return try loadRESISC45(dataLocation: dataLocation)
        case .fer2013:
            return try loadFER2013(dataLocation: dataLocation)
        case .cifar10, .cifar100:
            return try loadCIFAR(task, dataLocation: dataLocation)
        case .food101:
            return try loadFood101(dataLocation: dataLocation)
        case .oxfordIIITPet:
            return try loadOxfordIIITPet(dataLocation: dataLocation)
        case .renderedSST2:
            return try loadRenderedSST2(dataLocation: dataLocation)
        case .stl10:
            return try loadSTL10(dataLocation: dataLocation)
        case .svhn:
            return try loadSVHN(dataLocation: dataLocation)
        case .flowers102:
            return try loadFlowers102(dataLocation: dataLocation)
        case .cars:
            return try loadCars(dataLocation: dataLocation)
        case .pcam:
            return try loadPCAM(dataLocation: dataLocation)
        case let .custom(name):
            return try loadCustom(name, dataLocation: dataLocation)
        }
    }

    /// A short description of the file or folder the loader looks for first, for listings.
    public static func expectedLayout(_ task: TaskName) -> String {
        switch task {
        case .mnist: return "MNIST/raw/train-images-idx3-ubyte[.gz]"
        case .fashionMNIST: return "FashionMNIST/FashionMNIST/raw/train-images-idx3-ubyte[.gz]"
        case .kmnist: return "KMNIST/KMNIST/raw/train-images-idx3-ubyte[.gz]"
        case .emnist: return "EMNIST/EMNIST/raw/emnist-digits-train-images-idx3-ubyte[.gz]"
        case .gtsrb: return "{gtsrb/gtsrb|gtsrb}/GTSRB/Training/ and …/GT-final_test.csv"
        case .dtd: return "dtd/train/ and dtd/val/"
        case .sun397: return "sun397/train/ and sun397/val/"
        case .eurosat: return "EuroSAT_splits/{train,val,test}/"
        case .resisc45: return "resisc45/NWPU-RESISC45/ and resisc45/resisc45-{train,test}.txt"
        case .fer2013: return "fer2013/fer2013.csv or fer2013/{train,test}/<emotion>/"
        case .cifar10: return "cifar-10-batches-py/data_batch_1"
        case .cifar100: return "cifar-100-python/train"
        case .svhn: return "svhn/train_32x32.mat"
        case .cars: return "stanford_cars/devkit/cars_meta.mat"
        case .stl10: return "stl10/stl10_binary/train_X.bin"
        case .oxfordIIITPet: return "OxfordIIITPet/oxford-iiit-pet/annotations/trainval.txt"
        case .flowers102: return "flowers102/flowers-102/{setid,imagelabels}.mat"
        case .pcam: return "PCAM/pcam/camelyonpatch_level_2_split_train_x.h5"
        case .food101: return "food101/food-101/meta/train.json"
        case .renderedSST2: return "RenderedSST2/rendered-sst2/{train,test}/"
        case let .custom(name): return "\(name)/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] and \(name)/classes.txt"
        }
    }
}
