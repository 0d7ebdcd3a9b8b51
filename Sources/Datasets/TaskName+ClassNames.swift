// Class names as the reference repository (wang-kewang/LiNeS, from nik-dim/tall_masks
// src/datasets/*.py) and torchvision define them. Facts, not data.

extension TaskName {
    /// The class names in label order, as the reference passes them to its zero-shot head.
    public var classNames: ClassNames {
        switch self {
        case .mnist, .svhn, .emnist:
            // MNIST and SVHN: hard-coded "0"…"9"; EMNIST "digits": torchvision's `list(string.digits)`.
            return .fixed((0...9).map(String.init))
        case .kmnist:
            return .fixed(["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"])
        case .fashionMNIST:
            return .fixed(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
        case .cifar10:
            return .fixed(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
        case .stl10:
            return .fixed(["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"])
        case .renderedSST2:
            return .fixed(["negative", "positive"])
        case .pcam:
            return .fixed(["lymph node", "lymph node containing metastatic tumor tissue"])
        case .fer2013:
            return .synonyms([
                ["angry"], ["disgusted"], ["fearful"], ["happy", "smiling"], ["sad", "depressed"],
                ["surprised", "shocked", "spooked"], ["neutral", "bored"],
            ])
        case .eurosat:
            // Folder order (sorted) mapped through the reference's `ours_to_open_ai` table.
            return .fixed([
                "annual crop land", "forest", "brushland or shrubland", "highway or road",
                "industrial buildings or commercial buildings", "pasture land", "permanent crop land",
                "residential buildings or homes or apartments", "river", "lake or sea",
            ])
        case .resisc45:
            return .fixed(Self.resisc45Folders.map { $0.replacingOccurrences(of: "_", with: " ") })
        case .gtsrb:
            return .fixed(Self.gtsrbNames)
        case .flowers102:
            return .fixed(Self.flowers102Names)
        case .dtd:
            return .fromData("the sorted class folders of dtd/train, '_' replaced by ' '")
        case .sun397:
            return .fromData("the sorted class folders of sun397/train, first two characters dropped, '_' replaced by ' '")
        case .cifar100:
            return .fromData("fine_label_names in cifar-100-python/meta")
        case .food101:
            return .fromData("the sorted keys of food101/food-101/meta/train.json, as they are (torchvision)")
        case .oxfordIIITPet:
            return .fromData("the breeds of annotations/trainval.txt's image ids, title-cased, by class id (torchvision)")
        case .cars:
            return .fromData("class_names in stanford_cars/devkit/cars_meta.mat, '_' replaced by ' '")
        case let .custom(name):
            return .fromData("\(name)/classes.txt, one name per line")
        }
    }

    /// RESISC45's class folders (`resisc45/NWPU-RESISC45/<class>`), in label order.
    static let resisc45Folders = [
        "airplane", "airport", "baseball_diamond", "basketball_court", "beach", "bridge", "chaparral",
        "church", "circular_farmland", "cloud", "commercial_area", "dense_residential", "desert", "forest",
        "freeway", "golf_course", "ground_track_field", "harbor", "industrial_area", "intersection",
        "island", "lake", "meadow", "medium_residential", "mobile_home_park", "mountain", "overpass",
        "palace", "parking_lot", "railway", "railway_station", "rectangular_farmland", "river",
        "roundabout", "runway", "sea_ice", "ship", "snowberg", "sparse_residential", "stadium",
        "storage_tank", "tennis_court", "terrace", "thermal_power_station", "wetland",
    ]

    static let gtsrbNames = [
        "red and white circle 20 kph speed limit",
        "red and white circle 30 kph speed limit",
        "red and white circle 50 kph speed limit",
        "red and white circle 60 kph speed limit",
        "red and white circle 70 kph speed limit",
        "red and white circle 80 kph speed limit",
        "end / de-restriction of 80 kph speed limit",
        "red and white circle 100 kph speed limit",
        "red and white circle 120 kph speed limit",
        "red and white circle red car and black car no passing",
        "red and white circle red truck and black car no passing",
        "red and white triangle road intersection warning",
        "white and yellow diamond priority road",
        "red and white upside down triangle yield right-of-way",
        "stop",
        "empty red and white circle",
        "red and white circle no truck entry",
        "red circle with white horizonal stripe no entry",
        "red and white triangle with exclamation mark warning",
        "red and white triangle with black left curve approaching warning",
        "red and white triangle with black right curve approaching warning",
        "red and white triangle with black double curve approaching warning",
        "red and white triangle rough / bumpy road warning",
        "red and white triangle car skidding / slipping warning",
        "red and white triangle with merging / narrow lanes warning",
        "red and white triangle with person digging / construction / road work warning",
        "red and white triangle with traffic light approaching warning",
        "red and white triangle with person walking warning",
        "red and white triangle with child and person walking warning",
        "red and white triangle with bicyle warning",
        "red and white triangle with snowflake / ice warning",
        "red and white triangle with deer warning",
        "white circle with gray strike bar no speed limit",
        "blue circle with white right turn arrow mandatory",
        "blue circle with white left turn arrow mandatory",
        "blue circle with white forward arrow mandatory",
        "blue circle with white forward or right turn arrow mandatory",
        "blue circle with white forward or left turn arrow mandatory",
        "blue circle with white keep right arrow mandatory",
        "blue circle with white keep left arrow mandatory",
        "blue circle with white arrows indicating a traffic circle",
        "white circle with gray strike bar indicating no passing for cars has ended",
        "white circle with gray strike bar indicating no passing for trucks has ended",
    ]

    static let flowers102Names = [
        "pink primrose", "hard-leaved pocket orchid", "canterbury bells", "sweet pea", "english marigold",
        "tiger lily", "moon orchid", "bird of paradise", "monkshood", "globe thistle", "snapdragon",
        "colt's foot", "king protea", "spear thistle", "yellow iris", "globe flower", "purple coneflower",
        "peruvian lily", "balloon flower", "giant white arum lily", "fire lily", "pincushion flower",
        "fritillary", "red ginger", "grape hyacinth", "corn poppy", "prince of wales feathers",
        "stemless gentian", "artichoke", "sweet william", "carnation", "garden phlox", "love in the mist",
        "mexican aster", "alpine sea holly", "ruby-lipped cattleya", "cape flower", "great masterwort",
        "siam tulip", "lenten rose", "barbeton daisy", "daffodil", "sword lily", "poinsettia",
        "bolero deep blue", "wallflower", "marigold", "buttercup", "oxeye daisy", "common dandelion",
        "petunia", "wild pansy", "primula", "sunflower", "pelargonium", "bishop of llandaff", "gaura",
        "geranium", "orange dahlia", "pink and yellow dahlia", "cautleya spicata", "japanese anemone",
        "black-eyed susan", "silverbush", "californian poppy", "osteospermum", "spring crocus",
        "bearded iris", "windflower", "tree poppy", "gazania", "azalea", "water lily", "rose",
        "thorn apple", "morning glory", "passion flower", "lotus", "toad lily", "anthurium", "frangipani",
        "clematis", "hibiscus", "columbine", "desert-rose", "tree mallow", "magnolia", "cyclamen",
        "watercress", "canna lily", "hippeastrum", "bee balm", "air plant", "foxglove", "bougainvillea",
        "camellia", "mallow", "mexican petunia", "bromelia", "blanket flower", "trumpet creeper",
        "blackberry lily",
    ]
}
