// The zero-shot prompt templates of the reference (wang-kewang/LiNeS, from nik-dim/tall_masks
// src/datasets/templates.py), `{}` standing for the class name. Facts, not data.

extension TaskName {
    /// The reference's prompt templates for this task, in its order, `{}` standing for the class.
    ///
    /// A head is built from every template filled with every class's ``ClassNames/promptNames``
    /// (spec §4.3); `Scripts/fixtures/task_prompts.py` holds the same lists for the fixtures.
    public var templates: [String] {
        switch self {
        case .cars:
            return ["a photo of a {}.", "a photo of the {}.", "a photo of my {}.", "i love my {}!",
                    "a photo of my dirty {}.", "a photo of my clean {}.", "a photo of my new {}.", "a photo of my old {}."]
        case .cifar10, .cifar100:
            return ["a photo of a {}.", "a blurry photo of a {}.", "a black and white photo of a {}.",
                    "a low contrast photo of a {}.", "a high contrast photo of a {}.", "a bad photo of a {}.",
                    "a good photo of a {}.", "a photo of a small {}.", "a photo of a big {}.", "a photo of the {}.",
                    "a blurry photo of the {}.", "a black and white photo of the {}.", "a low contrast photo of the {}.",
                    "a high contrast photo of the {}.", "a bad photo of the {}.", "a good photo of the {}.",
                    "a photo of the small {}.", "a photo of the big {}."]
        case .dtd:
            return ["a photo of a {} texture.", "a photo of a {} pattern.", "a photo of a {} thing.",
                    "a photo of a {} object.", "a photo of the {} texture.", "a photo of the {} pattern.",
                    "a photo of the {} thing.", "a photo of the {} object."]
        case .eurosat:
            return ["a centered satellite photo of {}.", "a centered satellite photo of a {}.",
                    "a centered satellite photo of the {}."]
        case .food101:
            return ["a photo of {}, a type of food."]
        case .gtsrb:
            return ["a zoomed in photo of a \"{}\" traffic sign.", "a centered photo of a \"{}\" traffic sign.",
                    "a close up photo of a \"{}\" traffic sign."]
        case .mnist, .svhn:
            return ["a photo of the number: \"{}\"."]
        case .resisc45:
            return ["satellite imagery of {}.", "aerial imagery of {}.", "satellite photo of {}.", "aerial photo of {}.",
                    "satellite view of {}.", "aerial view of {}.", "satellite imagery of a {}.", "aerial imagery of a {}.",
                    "satellite photo of a {}.", "aerial photo of a {}.", "satellite view of a {}.", "aerial view of a {}.",
                    "satellite imagery of the {}.", "aerial imagery of the {}.", "satellite photo of the {}.",
                    "aerial photo of the {}.", "satellite view of the {}.", "aerial view of the {}."]
        case .stl10, .sun397, .fashionMNIST:
            return ["a photo of a {}.", "a photo of the {}."]
        case .flowers102:
            return ["a photo of a {}, a type of flower."]
        case .fer2013:
            return ["a photo of a {} looking face.", "a photo of a face showing the emotion: {}.",
                    "a photo of a face looking {}.", "a face that looks {}.", "they look {}.", "look at how {} they are."]
        case .pcam:
            return ["this is a photo of {}"]
        case .oxfordIIITPet:
            return ["a photo of a {}, a type of pet."]
        case .renderedSST2:
            return ["a {} review of a movie."]
        case .emnist:
            return ["a photo of the digit character: \"{}\"."]
        case .kmnist:
            return ["a photo of the character {}."]
        case .custom:
            return ["a photo of a {}."]
        }
    }
}
