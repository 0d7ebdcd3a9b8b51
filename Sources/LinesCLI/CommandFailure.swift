/// An error a command reports as one sentence, without the usage text that ArgumentParser adds
/// to validation errors (the arguments were fine; the files or data were not).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}
