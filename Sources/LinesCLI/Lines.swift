import ArgumentParser

@main
struct Lines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lines",
        abstract: "Post-training layer scaling (LiNeS) and model merging for fine-tuned networks.",
        subcommands: [Inspect.self, Convert.self, Edit.self, Merge.self, Masks.self, Embed.self, Predict.self, Tokenize.self, Heads.self, Finetune.self, Run.self, Eval.self, Demo.self, DatasetsCommand.self]
    )
}
