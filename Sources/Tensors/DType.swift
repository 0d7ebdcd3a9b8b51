/// The element types a checkpoint can store, named as safetensors names them.
///
/// The declaration order is the safetensors enum order, which is also the order its canonical
/// writer uses (descending) to lay tensors out. Compute is always `Float` (F32); every other
/// floating type converts exactly to `Float`, and back with round-to-nearest-even.
public enum DType: String, CaseIterable, Sendable, Comparable, Codable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6e2m3 = "F6_E2M3"
    case f6e3m2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ"
    case f8e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Position in the safetensors dtype enum (the alignment order of its writer).
    public var rank: Int { DType.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: DType, rhs: DType) -> Bool { lhs.rank < rhs.rank }

    /// Bits one element occupies on disk.
    public var bitWidth: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Bytes one element occupies, or `nil` for the sub-byte types (F4, F6).
    public var byteSize: Int? { bitWidth % 8 == 0 ? bitWidth / 8 : nil }

    /// Whether values of this type can be converted to and from `Float` by this library.
    public var isConvertible: Bool {
        switch self {
        case .bool, .u8, .i8, .i16, .u16, .f16, .bf16, .i32, .u32, .f32, .f64, .i64, .u64: return true
        default: return false
        }
    }

    /// Whether the type holds floating-point values.
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64, .f4, .f6e2m3, .f6e3m2, .f8e5m2, .f8e4m3, .f8e8m0,
             .f8e4m3fnuz, .f8e5m2fnuz, .c64:
            return true
        default: return false
        }
    }

    /// Parses a user-facing name: safetensors names (`F32`) or torch-style names (`float32`, `bfloat16`, `half`).
    public init?(userName: String) {
        let lower = userName.lowercased()
        switch lower {
        case "float32", "float", "fp32", "f32": self = .f32
        case "float16", "half", "fp16", "f16": self = .f16
        case "bfloat16", "bf16": self = .bf16
        case "float64", "double", "fp64", "f64": self = .f64
        case "int64", "long", "i64": self = .i64
        case "int32", "int", "i32": self = .i32
        case "uint8", "byte", "u8": self = .u8
        case "bool": self = .bool
        default:
            guard let d = DType(rawValue: userName.uppercased()) else { return nil }
            self = d
        }
    }
}
