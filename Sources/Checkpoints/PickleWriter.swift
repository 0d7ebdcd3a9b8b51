/// Emits pickle opcodes (protocol 3) into a byte buffer; used to write `.npy` object arrays.
struct _PickleWriter {
    var bytes: [UInt8] = []

    mutating func op(_ code: PickleOpcode) { bytes.append(code.rawValue) }

    mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func proto(_ version: UInt8) {
        op(.proto)
        bytes.append(version)
    }

    mutating func global(_ module: String, _ name: String) {
        op(.global)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        op(.binUnicode)
        u32(UInt32(utf8.count))
        bytes += utf8
    }

    mutating func int(_ v: Int) {
        switch v {
        case 0...0xFF:
            op(.binInt1)
            bytes.append(UInt8(v))
        case 0x100...0xFFFF:
            op(.binInt2)
            bytes += [UInt8(v & 0xFF), UInt8(v >> 8)]
        case Int(Int32.min)...Int(Int32.max):
            op(.binInt)
            u32(UInt32(bitPattern: Int32(v)))
        default:
            // LONG1: little-endian two's complement, 8 bytes suffices for Int.
            op(.long1)
            bytes.append(8)
            withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    /// The opcode and length prefix of a bytes object of `count` bytes; the caller appends
    /// (or writes) the bytes themselves. - Precondition: `count <= UInt32.max` (protocol 3).
    mutating func bytesHeader(count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max))
        if count < 256 {
            op(.shortBinBytes)
            bytes.append(UInt8(count))
        } else {
            op(.binBytes)
            u32(UInt32(count))
        }
    }

    mutating func bool(_ b: Bool) { op(b ? .newTrue : .newFalse) }
}
