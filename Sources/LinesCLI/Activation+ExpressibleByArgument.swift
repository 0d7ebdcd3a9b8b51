import ArgumentParser
import CLIP

extension Activation: ExpressibleByArgument {}
