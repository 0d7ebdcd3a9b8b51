import Checkpoints
import Foundation
import Testing
@testable import Tensors

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

@Suite("dtype conversions")
struct DTypeConversionTests {
    @Test("BF16 narrowing rounds to nearest even, keeps NaN quiet, overflows to infinity")
    func bf16HandChecked() {
        #expect(HalfPrecision.bf16(from: 1.0) == 0x3F80)
        // 1 + 2^-8 is exactly halfway between 1.0 and 1 + 2^-7: ties to even (1.0).
        #expect(HalfPrecision.bf16(from: 1.0 + 0x1p-8) == 0x3F80)
        // 1 + 3·2^-8 is halfway between 1+2^-7 (odd mantissa) and 1+2^-6: ties to even (up).
        #expect(HalfPrecision.bf16(from: 1.0 + 3 * 0x1p-8) == 0x3F82)
        #expect(HalfPrecision.bf16(from: 1.0 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(HalfPrecision.bf16(from: -2.0) == 0xC000)
        #expect(HalfPrecision.bf16(from: .greatestFiniteMagnitude) == 0x7F80)
        let nan = HalfPrecision.bf16(from: .nan)
        #expect(nan & 0x7F80 == 0x7F80 && nan & 0x007F != 0)
        #expect(HalfPrecision.float(fromBF16: 0x3F82) == 1.015625)
    }

    @Test("F16 narrowing rounds to nearest even and widens exactly")
    func f16HandChecked() {
        #expect(HalfPrecision.f16(from: 1.0) == 0x3C00)
        #expect(HalfPrecision.f16(from: 65504) == 0x7BFF)
        #expect(HalfPrecision.f16(from: 65520) == 0x7C00)  // halfway to the next binade rounds to inf
        #expect(HalfPrecision.float(fromF16: 0x0001) == 0x1p-24)  // smallest subnormal
        #expect(HalfPrecision._softFloat(fromF16: 0x0001) == 0x1p-24)
        #expect(HalfPrecision._softFloat(fromF16: 0xC400) == -4)
        #expect(HalfPrecision._softFloat(fromF16: 0x7C00) == .infinity)
    }

    @Test("F16 and BF16 narrowing equals torch's bit for bit on 6015 values")
    func narrowingMatchesTorch() throws {
        let file = try SafetensorsFile(url: fixtures.appendingPathComponent("safetensors/rounding.safetensors"))
        let source = try file.readFloat("source")
        for dtype in [DType.f16, .bf16] {
            let torchBytes = try file.read(dtype == .f16 ? "f16" : "bf16").data
            let ours = StoredTensor(source, as: dtype).data
            var mismatches = 0
            for i in stride(from: 0, to: ours.count, by: 2) {
                let a = UInt16(ours[i]) | UInt16(ours[i + 1]) << 8
                let b = UInt16(torchBytes[i]) | UInt16(torchBytes[i + 1]) << 8
                let aNaN = dtype == .f16 ? HalfPrecision.float(fromF16: a).isNaN : HalfPrecision.float(fromBF16: a).isNaN
                let bNaN = dtype == .f16 ? HalfPrecision.float(fromF16: b).isNaN : HalfPrecision.float(fromBF16: b).isNaN
                if a != b && !(aNaN && bNaN) { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(dtype.rawValue): \(mismatches) values differ from torch")
        }
    }

    @Test("every stored dtype decodes to the float32 values torch computes")
    func decodeMatchesTorch() throws {
        let stored = try SafetensorsFile(url: fixtures.appendingPathComponent("safetensors/dtypes.safetensors"))
        let expected = try SafetensorsFile(url: fixtures.appendingPathComponent("safetensors/dtypes.f32.safetensors"))
        #expect(Set(stored.tensors.map(\.name)) == Set(expected.tensors.map(\.name)))
        for info in stored.tensors {
            let ours = try stored.readFloat(info.name)
            let theirs = try expected.readFloat(info.name)
            #expect(ours.shape == theirs.shape, "\(info.name)")
            #expect(ours.scalars == theirs.scalars, "\(info.name) (\(info.dtype.rawValue))")
        }
    }

    @Test("encode then decode is the identity for values representable in the target dtype")
    func roundTrips() throws {
        let ints = Tensor(shape: [6], scalars: [-128, -1, 0, 1, 100, 127])
        for dtype in [DType.i8, .i16, .i32, .i64, .f16, .bf16, .f64, .f32] {
            let back = try StoredTensor(ints, as: dtype).floatTensor()
            #expect(back == ints, "\(dtype.rawValue)")
        }
        let u = Tensor(shape: [3], scalars: [0, 7, 255])
        #expect(try StoredTensor(u, as: .u8).floatTensor() == u)
        let b = try StoredTensor(Tensor(shape: [3], scalars: [0, -2, 0.5]), as: .bool).floatTensor()
        #expect(b.scalars == [0, 1, 1])
        // Integer encoding truncates toward zero and saturates, like a C cast with clamping.
        #expect(try StoredTensor(Tensor(shape: [3], scalars: [-1.7, 2.9, 1e10]), as: .i32).floatTensor().scalars == [-1, 2, Float(Int32.max)])
    }

    @Test("big-endian sources are byte-swapped")
    func bigEndian() {
        let bytes: [UInt8] = [0x3F, 0x80, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00]
        var out = [Float](repeating: 0, count: 2)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { DTypeConversion.decode(src, dtype: .f32, count: 2, bigEndian: true, into: $0.baseAddress!) }
        }
        #expect(out == [1, -2])
    }

    @Test("unsupported dtypes are refused with their name")
    func unsupported() {
        let t = StoredTensor(dtype: .f8e4m3, shape: [2], data: [0, 0])
        #expect(throws: TensorError.unsupportedDType(.f8e4m3)) { try t.floatTensor() }
        #expect(DType(userName: "bfloat16") == .bf16 && DType(userName: "half") == .f16 && DType(userName: "F32") == .f32)
        #expect(DType(userName: "complex") == nil)
    }
}
