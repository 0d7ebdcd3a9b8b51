import Datasets

/// The metric dictionaries of the reference's result files (spec §3.3–3.4), in its key order:
/// `{D}:top1` for every task, `{D}:normalized_top1` for every task, `avg_normalized_top1`,
/// `avg_top1` (single-task runs add the zero-shot-normalized and target/control keys).
public enum Metrics {
    /// The reference's name of `task` on `split`: `MNISTVal` for validation, `MNIST` for test.
    public static func datasetName(_ task: TaskName, validation: Bool) -> String {
        validation ? task.rawValue + "Val" : task.rawValue
    }

    /// `evaluate_task_vector_at_coef`'s dictionary.
    /// - Parameters:
    ///   - top1: accuracy per task.
    ///   - finetuned: fine-tuned accuracies keyed as the reference's JSON (`MNISTVal`, `MNIST`).
    public static func merged(tasks: [TaskName], validation: Bool, top1: [TaskName: Double],
                              finetuned: [String: Double]) -> [JSONEntry] {
        let names = tasks.map { datasetName($0, validation: validation) }
        let accs = tasks.map { top1[$0] ?? 0 }
        let norms = zip(names, accs).map { name, acc in acc / (finetuned[name] ?? .nan) }
        var out: [JSONEntry] = []
        for (name, acc) in zip(names, accs) { out.append(JSONEntry(name + ":top1", .number(acc))) }
        for (name, n) in zip(names, norms) { out.append(JSONEntry(name + ":normalized_top1", .number(n))) }
        out.append(JSONEntry("avg_normalized_top1", .number(numpyMean(norms))))
        out.append(JSONEntry("avg_top1", .number(numpyMean(accs))))
        return out
    }

    /// The single-task editing dictionary: the merged keys (`avg_normalized_top1` and `avg_top1`
    /// included), then `{D}:normalized_top1_zeroshot`, `target_accuracy`, `control_accuracy`,
    /// `target_normalized_accuracy` (to fine-tuned), `control_normalized_accuracy` (mean of
    /// acc/zero-shot acc over the controls): the order in which `evaluate_task_vector_at_coef`
    /// inserts them into its dict.
    public static func singleTask(tasks: [TaskName], target: TaskName, validation: Bool, top1: [TaskName: Double],
                                  finetuned: [String: Double], zeroshot: [String: Double]) -> [JSONEntry] {
        var out = merged(tasks: tasks, validation: validation, top1: top1, finetuned: finetuned)
        var zsNorm: [TaskName: Double] = [:]
        for t in tasks {
            let name = datasetName(t, validation: validation)
            let v = (top1[t] ?? 0) / (zeroshot[name] ?? .nan)
            zsNorm[t] = v
            out.append(JSONEntry(name + ":normalized_top1_zeroshot", .number(v)))
        }
        let controls = tasks.filter { $0 != target }
        let targetName = datasetName(target, validation: validation)
        out.append(JSONEntry("target_accuracy", .number(top1[target] ?? 0)))
        out.append(JSONEntry("control_accuracy", .number(numpyMean(controls.map { top1[$0] ?? 0 }))))
        out.append(JSONEntry("target_normalized_accuracy", .number((top1[target] ?? 0) / (finetuned[targetName] ?? .nan))))
        out.append(JSONEntry("control_normalized_accuracy", .number(numpyMean(controls.map { zsNorm[$0] ?? 0 }))))
        return out
    }

    /// The single-task selection score: `w · target_normalized_accuracy + control_normalized_accuracy`.
    public static func tradeoffScore(_ metrics: [JSONEntry], weight: Double) -> Double {
        func v(_ k: String) -> Double {
            if case let .number(d)? = metrics.first(where: { $0.key == k })?.value { return d }
            return .nan
        }
        return weight * v("target_normalized_accuracy") + v("control_normalized_accuracy")
    }

    /// `np.mean` of a list of Python floats: numpy's pairwise summation, then division by n.
    public static func numpyMean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : pairwiseSum(values[...]) / Double(values.count)
    }

    /// numpy's `pairwise_sum` for float64 (blocks of 8 partial sums up to 128 values, halves above).
    static func pairwiseSum(_ a: ArraySlice<Double>) -> Double {
        let n = a.count
        let s = a.startIndex
        if n < 8 {
            var res = 0.0
            for x in a { res += x }
            return res
        } else if n <= 128 {
            var r = (0..<8).map { a[s + $0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[s + i + j] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { res += a[s + i]; i += 1 }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwiseSum(a[s..<(s + n2)]) + pairwiseSum(a[(s + n2)...])
        }
    }

    /// The index of the first strictly greatest score above `floor` (the reference's
    /// `find_optimal_coef`: `best = 0`, then `if score > best`), or nil.
    public static func firstStrictMaximum(_ scores: [Double], floor: Double = 0) -> Int? {
        var best = floor
        var index: Int?
        for (i, s) in scores.enumerated() where s > best {
            best = s
            index = i
        }
        return index
    }
}
