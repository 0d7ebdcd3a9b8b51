/// Where a run's evaluations execute: the `launcher` config group (`launcher=local`, the default,
/// or `launcher=slurm` with its `launcher.*` keys, the settings of Hydra's submitit launcher).
public enum Launcher: Sendable, Equatable {
    /// Every evaluation in this process.
    case local
    /// Validation units as a Slurm job array, selection + test as a dependent job.
    case slurm(SlurmOptions)

    /// The `launcher.*` keys of `launcher=slurm`. `nil` adds no `#SBATCH` line (the cluster's default).
    public struct SlurmOptions: Sendable, Equatable {
        /// `launcher.partition` (`--partition`).
        public var partition: String?
        /// `launcher.time` (`--time`, Slurm's formats: `MM`, `HH:MM:SS`, `D-HH:MM`).
        public var time: String?
        /// `launcher.cpus_per_task` (`--cpus-per-task`).
        public var cpusPerTask: Int?
        /// `launcher.mem` (`--mem`, e.g. `16G`).
        public var mem: String?
        /// `launcher.gres` (`--gres`, e.g. `gpu:1`).
        public var gres: String?
        /// `launcher.array_parallelism`: at most this many array tasks at once (`--array=…%N`).
        public var arrayParallelism: Int?
        /// `launcher.extra`: raw `#SBATCH` lines (`--account=lab`, `--qos=high`, `--hold`).
        public var extra: [String] = []

        public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int? = nil, mem: String? = nil,
                    gres: String? = nil, arrayParallelism: Int? = nil, extra: [String] = []) {
            self.partition = partition
            self.time = time
            self.cpusPerTask = cpusPerTask
            self.mem = mem
            self.gres = gres
            self.arrayParallelism = arrayParallelism
            self.extra = extra
        }
    }

    /// Reads the `launcher` subtree of a composed configuration.
    /// - Throws: ``ExperimentError/badValue(key:value:expected:)`` naming the key.
    public init(tree: ConfigValue?) throws {
        guard let tree, case let .string(name)? = tree.value(at: ["name"]), name != "local" else {
            self = .local
            return
        }
        guard name == "slurm" else {
            throw ExperimentError.badValue(key: "launcher", value: name, expected: "local or slurm")
        }
        func text(_ key: String, pattern: (String) -> Bool = { _ in true }, expected: String) throws -> String? {
            switch tree.value(at: [key]) {
            case nil, .null?: return nil
            case let .string(s)? where s == "None" || s.isEmpty: return nil
            case let .string(s)? where pattern(s) && !s.contains("\n"): return s
            case let .int(i)? where pattern(String(i)): return String(i)
            case let v?: throw ExperimentError.badValue(key: "launcher.\(key)", value: v.description, expected: expected)
            }
        }
        func count(_ key: String) throws -> Int? {
            switch tree.value(at: [key]) {
            case nil, .null?: return nil
            case .string("None")?: return nil
            case let .int(i)? where i > 0: return i
            case let v?: throw ExperimentError.badValue(key: "launcher.\(key)", value: v.description, expected: "a positive integer")
            }
        }
        let plain: (String) -> Bool = { s in s.allSatisfy { $0.isLetter || $0.isNumber || "-_.:,+/".contains($0) } }
        var options = SlurmOptions()
        options.partition = try text("partition", pattern: plain, expected: "a partition name (letters, digits, - _ . ,)")
        options.time = try text("time", pattern: { s in !s.isEmpty && s.allSatisfy { $0.isNumber || $0 == ":" || $0 == "-" } },
                                expected: "a Slurm time limit such as 60, 04:00:00 or 1-00:00")
        options.cpusPerTask = try count("cpus_per_task")
        options.mem = try text("mem", pattern: { s in s.first?.isNumber == true && s.allSatisfy { $0.isNumber || "KMGTkmgt".contains($0) } },
                               expected: "a memory size such as 16G or 8000M")
        options.gres = try text("gres", pattern: plain, expected: "a generic resource such as gpu:1")
        options.arrayParallelism = try count("array_parallelism")
        switch tree.value(at: ["extra"]) {
        case nil, .null?: break
        case let .list(items)?:
            options.extra = try items.map { item in
                guard case let .string(s) = item, s.hasPrefix("-"), !s.contains("\n") else {
                    throw ExperimentError.badValue(key: "launcher.extra", value: item.description,
                                                   expected: "sbatch options such as [--account=lab,--qos=high], one per #SBATCH line")
                }
                return s
            }
        case let .string(s)? where s.hasPrefix("-") && !s.contains("\n"):
            options.extra = [s]
        case let v?:
            throw ExperimentError.badValue(key: "launcher.extra", value: v.description,
                                           expected: "a list of sbatch options such as [--account=lab,--qos=high]")
        }
        self = .slurm(options)
    }
}
