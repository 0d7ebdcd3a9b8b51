import ArgumentParser
import Merging

/// Shows each streaming pass of a merge as its own progress bar on stderr.
final class PassProgress {
    private var label = ""
    private var bar: ProgressBar?

    /// The callback to hand to `Merger`.
    var callback: MergeProgress {
        { [self] pass, done, total in
            if pass != label {
                label = pass
                bar = ProgressBar(pass, total: total)
            }
            bar?.update(done)
        }
    }
}

extension MergeMethod: ExpressibleByArgument {}
extension TIESAggregation: ExpressibleByArgument {}
