import Checkpoints
import Foundation
import Tensors
import TestSupport

/// Fixtures written by `python3 Scripts/fixtures/training_fixtures.py`.
func trainingFixture(_ name: String) -> URL {
    TestPaths.fixtures.appendingPathComponent("training").appendingPathComponent(name)
}
