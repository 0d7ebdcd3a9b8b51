import Foundation
import Tensors

/// Reads a pickle (protocols 2–5) into an inert ``PickleValue`` without executing anything.
///
/// Only the opcodes that `torch.save` and `np.save` write are interpreted
/// (``PickleOpcode/isAccepted``). `GLOBAL` and `STACK_GLOBAL` resolve only names on an allow-list:
///
/// - tensor rebuilding: `torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`,
///   `_rebuild_parameter_with_state`, `torch._tensor._rebuild_from_type_v2`;
/// - storages: `torch.{Float,Half,BFloat16,Double,Long,Int,Short,Char,Byte,Bool}Storage`;
/// - containers: `collections.OrderedDict`, `builtins.set` / `__builtin__.set`, `torch.Size`,
///   `_codecs.encode` (bytes under protocol 2);
/// - numpy: `numpy.core.multiarray._reconstruct`, `numpy._core.multiarray._reconstruct`,
///   `numpy.ndarray`, `numpy.dtype`, `numpy.core.multiarray.scalar` (and `numpy._core`);
/// - classes kept as inert ``PickleObject`` nodes (whole pickled modules): anything under
///   `torch.nn.`, `open_clip.`, `torchvision.transforms.`, `src.`, `__main__`, plus
///   `torch.device` and the `torch` dtype names.
///
/// `REDUCE` and `NEWOBJ` are interpreted per allowed name; nothing is ever called. Stack, `MARK`
/// depth, memo size and value nesting are capped, so hostile input throws instead of exhausting
/// memory or the call stack.
package struct SafeUnpickler: Sendable {
    /// Caps that keep hostile input bounded.
    package struct Limits: Sendable {
        /// Deepest `MARK` nesting (real checkpoints use fewer than 10).
        package var maxMarkDepth = 4096
        /// Most values on the stack at once.
        package var maxStackSize = 1 << 20
        /// Most memo entries.
        package var maxMemoSize = 1 << 24
        /// Deepest nesting of containers in the result (a ViT-L module pickle needs about 30).
        package var maxNesting = 256

        /// The default caps.
        package init() {}
    }

    /// File name used in error messages (e.g. `model.pt [archive/data.pkl]`).
    package var path: String
    /// The caps.
    package var limits: Limits
    /// Read Python 2 `str` (`BINSTRING`, `SHORT_BINSTRING`) as ``PickleValue/bytes(_:)``, as
    /// Python 3's `pickle.load(f, encoding="bytes")` does; otherwise they become UTF-8 text.
    /// Python 2 pickles of numpy arrays (the CIFAR batches) hold the raw array data in such strings.
    package var python2StringsAsBytes: Bool

    /// - Parameters:
    ///   - path: What to call the pickle in error messages.
    ///   - limits: Caps on stack, marks, memo and nesting.
    ///   - python2StringsAsBytes: See ``python2StringsAsBytes``.
    package init(path: String, limits: Limits = Limits(), python2StringsAsBytes: Bool = false) {
        self.path = path
        self.limits = limits
        self.python2StringsAsBytes = python2StringsAsBytes
    }

    /// Interprets `bytes` up to its `STOP` opcode.
    /// - Throws: ``CheckpointError/unsafePickle(path:offset:opcode:detail:)`` for an opcode or
    ///   global outside the allow-list, ``CheckpointError/malformedPickle(path:offset:reason:)``
    ///   for a damaged or over-deep stream.
    package func load(_ bytes: UnsafeRawBufferPointer) throws -> PickleValue {
        var machine = _PickleMachine(bytes: bytes, path: path, limits: limits)
        machine.python2StringsAsBytes = python2StringsAsBytes
        defer { machine.tearDown() }
        return try machine.run()
    }

    /// Interprets an array of pickle bytes.
    package func load(_ bytes: [UInt8]) throws -> PickleValue {
        try bytes.withUnsafeBytes { try load($0) }
    }
}

// MARK: - The allow-list

/// What an allowed global stands for.
enum _PickleCallable: Equatable {
    case rebuildTensor, rebuildParameter, rebuildParameterWithState, rebuildFromType
    case storage(DType)
    case orderedDict, set, torchSize, codecsEncode
    case numpyReconstruct, numpyDType, numpyScalar
    /// A class or value kept as an inert object (modules, `numpy.ndarray`, `torch.device`).
    case inert

    static let storageTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    static let torchValues: Set<String> = [
        "device", "float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8",
        "uint8", "bool", "float", "half", "double", "long", "int", "short",
    ]

    static let inertPrefixes = ["torch.nn.", "open_clip.", "torchvision.transforms.", "src.", "__main__."]
    static let inertModules: Set<String> = ["torch.nn", "open_clip", "src", "__main__"]

    /// The meaning of `global`, or `nil` when it is not on the allow-list.
    static func classify(_ g: PickleGlobal) -> _PickleCallable? {
        switch (g.module, g.name) {
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch._tensor", "_rebuild_from_type_v2"): return .rebuildFromType
        case ("collections", "OrderedDict"): return .orderedDict
        case ("builtins", "set"), ("__builtin__", "set"): return .set
        case ("torch", "Size"): return .torchSize
        case ("_codecs", "encode"): return .codecsEncode
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"): return .numpyReconstruct
        case ("numpy", "dtype"): return .numpyDType
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"): return .numpyScalar
        case ("numpy", "ndarray"): return .inert
        case ("torch", let name):
            if let d = storageTypes[name] { return .storage(d) }
            return torchValues.contains(name) ? .inert : nil
        default:
            if inertModules.contains(g.module) || inertPrefixes.contains(where: { g.module.hasPrefix($0) }) {
                return .inert
            }
            return nil
        }
    }
}

// MARK: - The machine

/// A mutable node while the stream is interpreted; pickle containers are shared by reference
/// through the memo and mutated after being stored, so the machine needs reference semantics.
/// Converted to a ``PickleValue`` tree at `STOP`.
final class _PickleNode {
    enum Kind { case leaf, tuple, list, set, dict, object }
    let kind: Kind
    var leaf: PickleValue = .none
    /// tuple, list, set: the items; dict: keys and values interleaved.
    var items: [_PickleNode] = []
    /// dict: string key → index of the key in `items`.
    var keyIndex: [String: Int] = [:]
    var type = PickleGlobal(module: "", name: "")
    var args: [_PickleNode] = []
    var state: _PickleNode?

    init(_ kind: Kind) { self.kind = kind }
    init(leaf: PickleValue) {
        kind = .leaf
        self.leaf = leaf
    }

    var kindName: String {
        switch kind {
        case .leaf:
            switch leaf {
            case .none: return "None"
            case .bool: return "bool"
            case .int, .bigInt: return "int"
            case .float: return "float"
            case .string: return "str"
            case .bytes: return "bytes"
            case .global(let g): return "global '\(g)'"
            case .storage: return "storage"
            case .tensor: return "tensor"
            default: return "value"
            }
        case .tuple: return "tuple"
        case .list: return "list"
        case .set: return "set"
        case .dict: return "dict"
        case .object: return "object of class '\(type.qualifiedName)'"
        }
    }
}

struct _PickleMachine {
    let bytes: UnsafeRawBufferPointer
    let path: String
    let limits: SafeUnpickler.Limits
    var pos = 0
    var opPos = 0
    var opName = ""
    var stack: [_PickleNode] = []
    var marks: [Int] = []
    var memo: [Int: _PickleNode] = [:]
    /// Every node made, so that tear-down can cut the links before they are freed: freeing a
    /// 100,000-deep chain recursively would overflow the call stack.
    var nodes: [_PickleNode] = []
    /// ``SafeUnpickler/python2StringsAsBytes``.
    var python2StringsAsBytes = false

    init(bytes: UnsafeRawBufferPointer, path: String, limits: SafeUnpickler.Limits) {
        self.bytes = bytes
        self.path = path
        self.limits = limits
    }

    func tearDown() {
        for node in nodes {
            node.items = []
            node.args = []
            node.state = nil
        }
    }

    // MARK: errors

    func malformed(_ reason: String) -> CheckpointError {
        .malformedPickle(path: path, offset: opPos, reason: opName.isEmpty ? reason : "\(opName): \(reason)")
    }

    func refused(_ detail: String) -> CheckpointError {
        .unsafePickle(path: path, offset: opPos, opcode: opName, detail: detail)
    }

    // MARK: reading

    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - pos else {
            throw malformed("needs \(count) bytes at byte \(pos) but the pickle ends at byte \(bytes.count)")
        }
        defer { pos += count }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<(pos + count)])
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u16() throws -> UInt16 { UInt16(littleEndian: try take(2).loadUnaligned(as: UInt16.self)) }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }

    mutating func length64() throws -> Int {
        let n = try u64()
        guard n <= UInt64(bytes.count - pos) else {
            throw malformed("declares \(n) bytes at byte \(pos) but only \(bytes.count - pos) remain")
        }
        return Int(n)
    }

    /// A newline-terminated line of at most `limit` bytes (GLOBAL, INT).
    mutating func line(limit: Int = 512) throws -> String {
        var end = pos
        while end < bytes.count, bytes[end] != 0x0A {
            end += 1
            if end - pos > limit { throw malformed("a text argument at byte \(pos) is longer than \(limit) bytes") }
        }
        guard end < bytes.count else { throw malformed("a text argument at byte \(pos) has no terminating newline") }
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[pos..<end]), as: UTF8.self) else {
            throw malformed("the text argument at byte \(pos) is not valid UTF-8")
        }
        pos = end + 1
        return s
    }

    /// `count` bytes of UTF-8 text, refused when not valid UTF-8 (Python's pickle raises too;
    /// decoding leniently could make two different keys one).
    mutating func text(_ count: Int) throws -> String {
        let start = pos
        guard let s = String(validating: try take(count), as: UTF8.self) else {
            throw malformed("the \(count)-byte string at byte \(start) is not valid UTF-8")
        }
        return s
    }

    /// A Python 2 `str` of `count` bytes: bytes or UTF-8 text, per ``python2StringsAsBytes``.
    mutating func python2String(_ count: Int) throws -> PickleValue {
        python2StringsAsBytes ? .bytes([UInt8](try take(count))) : .string(try text(count))
    }

    // MARK: stack

    mutating func make(_ kind: _PickleNode.Kind) -> _PickleNode {
        let n = _PickleNode(kind)
        nodes.append(n)
        return n
    }

    mutating func make(leaf: PickleValue) -> _PickleNode {
        let n = _PickleNode(leaf: leaf)
        nodes.append(n)
        return n
    }

    mutating func push(_ node: _PickleNode) throws {
        guard stack.count < limits.maxStackSize else {
            throw malformed("more than \(limits.maxStackSize) values on the stack")
        }
        stack.append(node)
    }

    mutating func push(leaf: PickleValue) throws { try push(make(leaf: leaf)) }

    mutating func pop() throws -> _PickleNode {
        guard stack.count > (marks.last ?? 0), let top = stack.popLast() else {
            throw malformed("stack underflow")
        }
        return top
    }

    func top() throws -> _PickleNode {
        guard stack.count > (marks.last ?? 0), let top = stack.last else { throw malformed("stack underflow") }
        return top
    }

    mutating func popToMark() throws -> [_PickleNode] {
        guard let mark = marks.popLast() else { throw malformed("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func memoize(_ index: Int, _ node: _PickleNode) throws {
        guard memo[index] != nil || memo.count < limits.maxMemoSize else {
            throw malformed("more than \(limits.maxMemoSize) memo entries")
        }
        memo[index] = node
    }

    mutating func recall(_ index: Int) throws {
        guard let node = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        try push(node)
    }

    // MARK: containers

    func setItem(_ dict: _PickleNode, _ key: _PickleNode, _ value: _PickleNode) throws {
        guard dict.kind == .dict else { throw malformed("target is a \(dict.kindName), not a dict") }
        if key.kind == .leaf, case .string(let s) = key.leaf {
            if let i = dict.keyIndex[s] {
                dict.items[i + 1] = value
                return
            }
            dict.keyIndex[s] = dict.items.count
        }
        dict.items.append(key)
        dict.items.append(value)
    }

    func global(_ node: _PickleNode) throws -> (PickleGlobal, _PickleCallable) {
        guard node.kind == .leaf, case .global(let g) = node.leaf, let c = _PickleCallable.classify(g) else {
            throw malformed("the callable is a \(node.kindName), not an allowed global")
        }
        return (g, c)
    }

    // MARK: the loop

    mutating func run() throws -> PickleValue {
        while true {
            opPos = pos
            opName = ""
            let byte = try u8()
            guard let op = PickleOpcode(rawValue: byte) else {
                throw malformed("unknown opcode 0x\(String(byte, radix: 16)) at byte \(opPos)")
            }
            opName = op.name
            guard op.isAccepted else {
                throw refused("opcode \(op.name) is not used by torch.save or np.save")
            }
            switch op {
            case .proto:
                let v = try u8()
                guard v <= 5 else { throw malformed("unsupported pickle protocol \(v)") }
            case .frame:
                _ = try length64()
            case .stop:
                let result = try pop()
                var converter = _PickleConverter(machine: self)
                return try converter.convert(result, depth: 0)
            case .mark:
                guard marks.count < limits.maxMarkDepth else {
                    throw malformed("MARK nesting deeper than \(limits.maxMarkDepth) levels")
                }
                marks.append(stack.count)
            case .emptyDict: try push(make(.dict))
            case .emptyList: try push(make(.list))
            case .emptyTuple: try push(make(.tuple))
            case .tuple:
                let t = make(.tuple)
                t.items = try popToMark()
                try push(t)
            case .tuple1, .tuple2, .tuple3:
                let k = op == .tuple1 ? 1 : op == .tuple2 ? 2 : 3
                var items: [_PickleNode] = []
                for _ in 0..<k { items.append(try pop()) }
                let t = make(.tuple)
                t.items = items.reversed()
                try push(t)
            case .list:
                let l = make(.list)
                l.items = try popToMark()
                try push(l)
            case .dict:
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw malformed("odd number of items for a dict") }
                let d = make(.dict)
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(d, items[i], items[i + 1]) }
                try push(d)
            case .append:
                let v = try pop()
                let l = try top()
                guard l.kind == .list else { throw malformed("target is a \(l.kindName), not a list") }
                l.items.append(v)
            case .appends:
                let items = try popToMark()
                let l = try top()
                guard l.kind == .list else { throw malformed("target is a \(l.kindName), not a list") }
                l.items.append(contentsOf: items)
            case .setItem:
                let v = try pop()
                let k = try pop()
                try setItem(try top(), k, v)
            case .setItems:
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw malformed("odd number of items for a dict") }
                let d = try top()
                for i in stride(from: 0, to: items.count, by: 2) { try setItem(d, items[i], items[i + 1]) }
            case .binUnicode: try push(leaf: .string(try text(Int(try u32()))))
            case .shortBinUnicode: try push(leaf: .string(try text(Int(try u8()))))
            case .binUnicode8: try push(leaf: .string(try text(try length64())))
            case .shortBinString: try push(leaf: try python2String(Int(try u8())))
            case .binString:
                let n = Int(Int32(bitPattern: try u32()))
                guard n >= 0 else { throw malformed("negative string length \(n)") }
                try push(leaf: try python2String(n))
            case .binBytes: try push(leaf: .bytes([UInt8](try take(Int(try u32())))))
            case .shortBinBytes: try push(leaf: .bytes([UInt8](try take(Int(try u8())))))
            case .binBytes8: try push(leaf: .bytes([UInt8](try take(try length64()))))
            case .binInt: try push(leaf: .int(Int64(Int32(bitPattern: try u32()))))
            case .binInt1: try push(leaf: .int(Int64(try u8())))
            case .binInt2: try push(leaf: .int(Int64(try u16())))
            case .int:
                let s = try line(limit: 64)
                switch s {
                case "00": try push(leaf: .bool(false))
                case "01": try push(leaf: .bool(true))
                default:
                    guard let v = Int64(s) else { throw malformed("'\(s)' is not an integer") }
                    try push(leaf: .int(v))
                }
            case .long1:
                let n = Int(try u8())
                let raw = [UInt8](try take(n))
                if n <= 8 {
                    var v: UInt64 = 0
                    for (i, b) in raw.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
                    if n > 0, n < 8, raw[n - 1] & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(n)) }
                    try push(leaf: .int(Int64(bitPattern: v)))
                } else {
                    try push(leaf: .bigInt(raw))
                }
            case .binFloat:
                try push(leaf: .float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
            case .none: try push(leaf: .none)
            case .newTrue: try push(leaf: .bool(true))
            case .newFalse: try push(leaf: .bool(false))
            case .binPut: try memoize(Int(try u8()), try top())
            case .longBinPut: try memoize(Int(try u32()), try top())
            case .memoize: try memoize(memo.count, try top())
            case .binGet: try recall(Int(try u8()))
            case .longBinGet: try recall(Int(try u32()))
            case .global:
                let module = try line()
                let name = try line()
                try pushGlobal(PickleGlobal(module: module, name: name))
            case .stackGlobal:
                let name = try pop()
                let module = try pop()
                guard case .string(let n) = name.leaf, case .string(let m) = module.leaf else {
                    throw malformed("module and name must be strings")
                }
                try pushGlobal(PickleGlobal(module: m, name: n))
            case .binPersId:
                try push(leaf: .storage(try storage(try pop())))
            case .reduce:
                let args = try pop()
                let callable = try pop()
                guard args.kind == .tuple else { throw malformed("arguments are a \(args.kindName), not a tuple") }
                try push(try apply(callable, args.items))
            case .newObj:
                let args = try pop()
                let cls = try pop()
                guard args.kind == .tuple else { throw malformed("arguments are a \(args.kindName), not a tuple") }
                let (g, c) = try global(cls)
                switch c {
                case .orderedDict: try push(make(.dict))
                case .set: try push(make(.set))
                case .inert:
                    let o = make(.object)
                    o.type = g
                    o.args = args.items
                    try push(o)
                default: throw malformed("'\(g)' is not a class that NEWOBJ can instantiate")
                }
            case .build:
                let state = try pop()
                let target = try top()
                switch target.kind {
                case .object: target.state = state
                case .dict: break  // OrderedDict state ({'_metadata': …} on state dicts): ignored
                case .leaf where target.leaf.tensor != nil: break  // tensor attributes: ignored
                default: throw malformed("cannot BUILD a \(target.kindName)")
                }
            default:
                throw refused("opcode \(op.name) is not used by torch.save or np.save")
            }
        }
    }

    mutating func pushGlobal(_ g: PickleGlobal) throws {
        guard _PickleCallable.classify(g) != nil else {
            throw refused("global '\(g)' is not on the allow-list (torch tensor/storage rebuilding, collections.OrderedDict, set, _codecs.encode, numpy arrays, and torch.nn/open_clip/src/__main__ module classes as inert objects)")
        }
        try push(leaf: .global(g))
    }

    /// `('storage', torch.FloatStorage, key, location, numel)` → a storage reference.
    func storage(_ pid: _PickleNode) throws -> PickleStorage {
        guard pid.kind == .tuple, pid.items.count == 5 else {
            throw malformed("persistent id is a \(pid.kindName) of \(pid.items.count) items, not ('storage', type, key, location, numel)")
        }
        let it = pid.items
        guard case .string("storage") = it[0].leaf else { throw malformed("persistent id does not start with 'storage'") }
        guard case .global(let g) = it[1].leaf, case .storage(let dtype)? = _PickleCallable.classify(g) else {
            throw malformed("persistent id names \(it[1].kindName), not a torch storage type")
        }
        let key: String
        switch it[2].leaf {
        case .string(let s): key = s
        case .int(let v): key = String(v)
        default: throw malformed("storage key is a \(it[2].kindName)")
        }
        let location: String = it[3].leaf.string ?? ""
        guard case .int(let numel) = it[4].leaf, numel >= 0 else { throw malformed("storage '\(key)' has no valid element count") }
        return PickleStorage(dtype: dtype, key: key, location: location, count: Int(numel))
    }

    func int(_ node: _PickleNode, _ what: String) throws -> Int {
        switch node.leaf {
        case .int(let v) where node.kind == .leaf: return Int(v)
        case .bool(let b) where node.kind == .leaf: return b ? 1 : 0
        default: throw malformed("\(what) is a \(node.kindName), not an int")
        }
    }

    func ints(_ node: _PickleNode, _ what: String) throws -> [Int] {
        guard node.kind == .tuple || node.kind == .list else { throw malformed("\(what) is a \(node.kindName), not a tuple") }
        return try node.items.map { try int($0, what) }
    }

    /// Interprets `REDUCE` of an allowed callable.
    mutating func apply(_ callable: _PickleNode, _ args: [_PickleNode], nested: Bool = false) throws -> _PickleNode {
        let (g, c) = try global(callable)
        func arity(_ n: Int) throws {
            guard args.count >= n else { throw malformed("'\(g)' needs \(n) arguments, got \(args.count)") }
        }
        switch c {
        case .rebuildTensor:
            try arity(4)
            guard case .storage(let s) = args[0].leaf else { throw malformed("'\(g)' expects a storage, got a \(args[0].kindName)") }
            let offset = try int(args[1], "storage offset")
            let shape = try ints(args[2], "size")
            let stride = try ints(args[3], "stride")
            guard shape.count == stride.count, offset >= 0, !shape.contains(where: { $0 < 0 }), !stride.contains(where: { $0 < 0 }) else {
                throw malformed("tensor view offset \(offset), size \(shape), stride \(stride) is invalid")
            }
            return make(leaf: .tensor(PickleTensor(storage: s, offset: offset, shape: shape, stride: stride)))
        case .rebuildParameter, .rebuildParameterWithState:
            try arity(1)
            guard args[0].leaf.tensor != nil else { throw malformed("'\(g)' expects a tensor, got a \(args[0].kindName)") }
            return args[0]
        case .rebuildFromType:
            // (func, new_type, args, state): the tensor subclass is dropped, the data kept.
            try arity(3)
            guard !nested, args[2].kind == .tuple else { throw malformed("'\(g)' has invalid arguments") }
            return try apply(args[0], args[2].items, nested: true)
        case .orderedDict:
            let d = make(.dict)
            if let pairs = args.first {
                guard pairs.kind == .list || pairs.kind == .tuple else { throw malformed("OrderedDict expects a list of pairs") }
                for p in pairs.items {
                    guard p.kind == .tuple || p.kind == .list, p.items.count == 2 else { throw malformed("OrderedDict item is not a pair") }
                    try setItem(d, p.items[0], p.items[1])
                }
            }
            return d
        case .set:
            let s = make(.set)
            if let items = args.first {
                guard [.list, .tuple, .set].contains(items.kind) else { throw malformed("set expects a list") }
                s.items = items.items
            }
            return s
        case .torchSize:
            let t = make(.tuple)
            if let items = args.first {
                guard items.kind == .tuple || items.kind == .list else { throw malformed("torch.Size expects a tuple") }
                t.items = items.items
            }
            return t
        case .codecsEncode:
            // Protocol 2 pickles bytes as _codecs.encode(latin-1 text, 'latin1').
            try arity(1)
            guard case .string(let s) = args[0].leaf else { throw malformed("_codecs.encode expects a str") }
            var out: [UInt8] = []
            out.reserveCapacity(s.unicodeScalars.count)
            for u in s.unicodeScalars {
                guard u.value < 256 else { throw malformed("_codecs.encode text has a character above U+00FF") }
                out.append(UInt8(u.value))
            }
            return make(leaf: .bytes(out))
        case .numpyReconstruct:
            // _reconstruct(numpy.ndarray, (0,), b'b'): an empty array that BUILD fills.
            try arity(1)
            guard case .global(let cls) = args[0].leaf, cls == PickleGlobal(module: "numpy", name: "ndarray") else {
                throw malformed("'\(g)' may only rebuild numpy.ndarray")
            }
            let o = make(.object)
            o.type = cls
            return o
        case .numpyDType, .numpyScalar, .inert:
            let o = make(.object)
            o.type = g
            o.args = args
            return o
        case .storage:
            throw malformed("'\(g)' cannot be called")
        }
    }
}

/// Turns the node graph into a ``PickleValue`` tree, sharing converted subtrees, refusing cycles
/// and nesting deeper than ``SafeUnpickler/Limits/maxNesting``.
struct _PickleConverter {
    let machine: _PickleMachine
    var done: [ObjectIdentifier: PickleValue] = [:]
    var active: Set<ObjectIdentifier> = []

    init(machine: _PickleMachine) { self.machine = machine }

    mutating func convert(_ node: _PickleNode, depth: Int) throws -> PickleValue {
        if node.kind == .leaf { return node.leaf }
        let id = ObjectIdentifier(node)
        if let v = done[id] { return v }
        guard depth < machine.limits.maxNesting else {
            throw machine.malformed("values nested deeper than \(machine.limits.maxNesting) levels")
        }
        guard active.insert(id).inserted else { throw machine.malformed("a \(node.kindName) contains itself") }
        defer { active.remove(id) }
        func all(_ nodes: [_PickleNode]) throws -> [PickleValue] {
            var out: [PickleValue] = []
            out.reserveCapacity(nodes.count)
            for n in nodes { out.append(try convert(n, depth: depth + 1)) }
            return out
        }
        let value: PickleValue
        switch node.kind {
        case .leaf: value = node.leaf
        case .tuple: value = .tuple(try all(node.items))
        case .list: value = .list(try all(node.items))
        case .set: value = .set(try all(node.items))
        case .dict:
            let flat = try all(node.items)
            var pairs: [PicklePair] = []
            pairs.reserveCapacity(flat.count / 2)
            for i in stride(from: 0, to: flat.count - 1, by: 2) { pairs.append(PicklePair(key: flat[i], value: flat[i + 1])) }
            value = .dict(pairs)
        case .object:
            let state = try node.state.map { try convert($0, depth: depth + 1) } ?? .none
            value = .object(PickleObject(type: node.type, args: try all(node.args), state: state))
        }
        done[id] = value
        return value
    }
}
