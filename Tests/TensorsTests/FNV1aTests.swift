import Testing
import Tensors

@Suite("FNV-1a")
struct FNV1aTests {
    @Test("64-bit FNV-1a matches the published test vectors, and adding in pieces equals adding at once")
    func vectors() {
        for (text, expected) in [("", 0xCBF2_9CE4_8422_2325 as UInt64), ("a", 0xAF63_DC4C_8601_EC8C), ("foobar", 0x8594_4171_F739_67E8)] {
            var h = FNV1a()
            h.add(text)
            #expect(h.value == expected)
            #expect(h.hex == String(expected, radix: 16))
        }
        var pieces = FNV1a()
        pieces.add("foo")
        pieces.add("bar")
        var whole = FNV1a()
        whole.add("foobar")
        #expect(pieces == whole)
    }
}
