import Foundation

/// One labelled example of a task, decoded only when asked.
public struct TaskSample: Sendable {
    /// Where the pixels are.
    public enum Source: Sendable {
        /// An image file (JPEG, PNG, PPM/PGM), decoded by ``ImageDecoder``.
        case file(URL)
        /// Image `index` of an in-memory set of gray images (IDX tasks).
        case gray(GrayImageSet, index: Int)
        /// Image `index` of an in-memory set of channel-planar RGB images (CIFAR batches).
        case planar(PlanarImageSet, index: Int)
        /// Item `index` of a uint8 HDF5 dataset of RGB images `N × H × W × 3` (PCAM), read on decode.
        case hdf5(HDF5Dataset, index: Int)
    }

    /// Where the pixels are.
    public var source: Source
    /// The class index, into the task's class names.
    public var label: Int

    /// Creates a sample.
    public init(source: Source, label: Int) {
        self.source = source
        self.label = label
    }

    /// The image as RGB, as the reference's loader hands it to the preprocessing.
    /// - Throws: ``ImageError`` naming the file when it cannot be decoded; ``DatasetError`` when an
    ///   HDF5 item cannot be read.
    public func decode() throws -> RGBImage {
        switch source {
        case .file(let url): return try ImageDecoder.decode(contentsOf: url)
        case let .gray(set, index): return set.image(at: index)
        case let .planar(set, index): return set.image(at: index)
        case let .hdf5(dataset, index):
            return RGBImage(width: dataset.shape[2], height: dataset.shape[1], pixels: try dataset.readItem(index))
        }
    }

    /// The file the pixels are read from (the image file, or the container file).
    public var file: String {
        switch source {
        case .file(let url): return url.path
        case let .gray(set, _): return set.file
        case let .planar(set, _): return set.file
        case let .hdf5(dataset, _): return dataset.file
        }
    }

    /// The file path, or `file#index` for images inside a container file; for messages and listings.
    public var location: String {
        switch source {
        case .file(let url): return url.path
        case let .gray(set, index): return "\(set.file)#\(index)"
        case let .planar(set, index): return "\(set.file)#\(index)"
        case let .hdf5(dataset, index): return "\(dataset.file)#\(index)"
        }
    }
}
