import Tensors

/// An inert value read from a pickle by ``SafeUnpickler``: data only, nothing callable.
///
/// Allowed classes become ``PickleObject`` nodes (a class name, its constructor arguments and its
/// `BUILD` state); tensors become ``PickleTensor`` references into the archive's storages.
package indirect enum PickleValue: Sendable, Equatable {
    /// Python `None`.
    case none
    /// `True` / `False`.
    case bool(Bool)
    /// An integer that fits 64 bits.
    case int(Int64)
    /// A `LONG1` integer wider than 64 bits: its little-endian two's-complement bytes.
    case bigInt([UInt8])
    /// A Python `float`.
    case float(Double)
    /// A Python `str` (also Python 2 `str` from `BINSTRING`).
    case string(String)
    /// A Python `bytes`.
    case bytes([UInt8])
    /// A Python `tuple`.
    case tuple([PickleValue])
    /// A Python `list`.
    case list([PickleValue])
    /// A Python `set` (items in stream order).
    case set([PickleValue])
    /// A `dict` or `OrderedDict`, pairs in insertion order.
    case dict([PicklePair])
    /// A reference to a global that was not applied (e.g. a class used as a value).
    case global(PickleGlobal)
    /// An instance of an allowed class, never constructed.
    case object(PickleObject)
    /// A persistent-id storage reference.
    case storage(PickleStorage)
    /// A `torch.Tensor` (or `nn.Parameter`) view of a storage.
    case tensor(PickleTensor)

    /// The string, if this is one.
    package var string: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer, if this is one that fits 64 bits.
    package var int: Int64? { if case .int(let v) = self { return v } else { return nil } }
    /// The tensor, if this is one.
    package var tensor: PickleTensor? { if case .tensor(let t) = self { return t } else { return nil } }
    /// The object, if this is one.
    package var object: PickleObject? { if case .object(let o) = self { return o } else { return nil } }
    /// The pairs, if this is a dict.
    package var dict: [PicklePair]? { if case .dict(let d) = self { return d } else { return nil } }
    /// The items, if this is a tuple or list.
    package var items: [PickleValue]? {
        switch self {
        case .tuple(let v), .list(let v), .set(let v): return v
        default: return nil
        }
    }

    /// The value for a string key, if this is a dict holding one.
    package subscript(key: String) -> PickleValue? {
        dict?.first { $0.key == .string(key) }?.value
    }

    /// Whether the value is a scalar (none, bool, int, float, string, bytes).
    package var isScalar: Bool {
        switch self {
        case .none, .bool, .int, .bigInt, .float, .string, .bytes: return true
        default: return false
        }
    }
}

/// A key–value pair of a pickled dict.
package struct PicklePair: Sendable, Equatable {
    /// The key (usually a string).
    package var key: PickleValue
    /// The value.
    package var value: PickleValue

    /// Creates a pair.
    package init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}

/// A `module name` pair as the `GLOBAL` opcode names it, e.g. `torch._utils _rebuild_tensor_v2`.
package struct PickleGlobal: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The module, e.g. `torch._utils`.
    package var module: String
    /// The name in the module, e.g. `_rebuild_tensor_v2`.
    package var name: String

    /// Creates a global reference.
    package init(module: String, name: String) {
        self.module = module
        self.name = name
    }

    /// `module.name`, e.g. `src.models.modeling.ClassificationHead`.
    package var qualifiedName: String { "\(module).\(name)" }
    /// `module name`, as pickletools prints it.
    package var description: String { "\(module) \(name)" }
}

/// An instance of an allowed class: `GLOBAL cls` + `NEWOBJ`/`REDUCE` with `args`, then `BUILD`
/// with `state` (a module's `__dict__`). Nothing is constructed.
package struct PickleObject: Sendable, Equatable {
    /// The class.
    package var type: PickleGlobal
    /// The constructor arguments (usually empty).
    package var args: [PickleValue]
    /// The `BUILD` state, `.none` when there was none.
    package var state: PickleValue

    /// Creates an object node.
    package init(type: PickleGlobal, args: [PickleValue], state: PickleValue) {
        self.type = type
        self.args = args
        self.state = state
    }
}

/// A storage named by a `BINPERSID` persistent id:
/// `('storage', torch.FloatStorage, key, location, numel)`.
package struct PickleStorage: Sendable, Equatable, Hashable {
    /// The element type of the storage class (`FloatStorage` → F32).
    package var dtype: DType
    /// The record key: the storage's bytes are in `{prefix}/data/{key}`.
    package var key: String
    /// `cpu`, `cuda:0`, …; ignored.
    package var location: String
    /// Number of elements of `dtype`.
    package var count: Int

    /// Creates a storage reference.
    package init(dtype: DType, key: String, location: String, count: Int) {
        self.dtype = dtype
        self.key = key
        self.location = location
        self.count = count
    }
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view of a storage.
package struct PickleTensor: Sendable, Equatable {
    /// The storage viewed.
    package var storage: PickleStorage
    /// First element, in elements of the storage's dtype.
    package var offset: Int
    /// The extent of each dimension.
    package var shape: [Int]
    /// Distance between neighbours along each dimension, in elements.
    package var stride: [Int]

    /// Creates a view.
    package init(storage: PickleStorage, offset: Int, shape: [Int], stride: [Int]) {
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.stride = stride
    }

    /// The element type.
    package var dtype: DType { storage.dtype }

    /// Whether the view is the row-major layout of its shape (so its bytes are one run).
    package var isContiguous: Bool {
        var expected = 1
        for (size, step) in zip(shape, stride).reversed() where size != 1 {
            if step != expected { return false }
            expected *= size
        }
        return true
    }

    /// One past the highest storage element the view touches (0 for an empty view), or `nil`
    /// on overflow or a negative offset or stride.
    package var storageExtent: Int? {
        guard offset >= 0, shape.count == stride.count else { return nil }
        var last = offset
        for (size, step) in zip(shape, stride) {
            guard size >= 0, step >= 0 else { return nil }
            if size == 0 { return 0 }
            let (m, o1) = (size - 1).multipliedReportingOverflow(by: step)
            let (s, o2) = last.addingReportingOverflow(m)
            if o1 || o2 { return nil }
            last = s
        }
        let (e, o) = last.addingReportingOverflow(1)
        return o ? nil : e
    }
}
