#if canImport(CBLAS)
import CBLAS
#endif
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which OpenBLAS kernel set is in use, and a fix for CPUs that its runtime detection misses.
///
/// OpenBLAS 0.3.21 (Debian 12) does not recognise some recent Xeons (here, an AVX-512 Xeon in a VM)
/// and falls back to its SSE3 `Prescott` kernels, which run sgemm about 2.5× slower than its
/// `SkylakeX` kernels on the same cores. The kernel set is chosen when the library loads, from
/// `OPENBLAS_CORETYPE`, so the only fix from inside a process is to set it and start again.
public enum OpenBLASKernel {
    /// OpenBLAS's name for the kernel set it chose (e.g. `SkylakeX`, `Prescott`); `nil` off OpenBLAS.
    public static var coreName: String? {
        #if canImport(CBLAS)
        guard let name = openblas_get_corename() else { return nil }
        return String(cString: name)
        #else
        return nil
        #endif
    }

    /// The `OPENBLAS_CORETYPE` this CPU supports when OpenBLAS chose a slower kernel set, else `nil`:
    /// `SkylakeX` on CPUs with AVX-512 (F, BW, DQ, VL), `Haswell` on AVX2 + FMA.
    public static var recommendedCoreType: String? {
        guard let core = coreName?.lowercased() else { return nil }
        let flags = cpuFlags
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
        let avx2 = flags.contains("avx2") && flags.contains("fma")
        let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
        let avx2Cores = avx512Cores.union(["haswell", "zen"])
        if avx512 && !avx512Cores.contains(core) { return "SkylakeX" }
        if avx2 && !avx2Cores.contains(core) { return "Haswell" }
        return nil
    }

    /// Restarts the current program with `OPENBLAS_CORETYPE` set to ``recommendedCoreType``, when
    /// there is one and neither `OPENBLAS_CORETYPE` nor `LINES_KEEP_BLAS_CORE` is set. Returns
    /// only when nothing needed changing (or the restart failed). Call it first thing in `main`,
    /// before any output.
    /// Set beside `OPENBLAS_CORETYPE` when Lines chose it for this machine's CPU.
    public static let chosenMarker = "LINES_BLAS_CORE_CHOSEN"

    public static func restartWithRecommendedCoreIfNeeded() {
        #if os(Linux)
        let env = ProcessInfo.processInfo.environment
        // Never restart a test runner (swift test's `*.xctest`) under the tests' feet.
        let isTestRunner = CommandLine.arguments.first.map { $0.hasSuffix(".xctest") } ?? false
        guard env["OPENBLAS_CORETYPE"] == nil, env["LINES_KEEP_BLAS_CORE"] == nil, !isTestRunner,
              let core = recommendedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        // Marks the choice as this machine's, so that a job script started elsewhere (a Slurm
        // worker on another CPU) drops it and chooses for its own CPU.
        setenv(chosenMarker, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with the slower kernels.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(chosenMarker)
        #endif
    }

    static var cpuFlags: Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
    }
}
