/// The nonlinearity between `c_fc` and `c_proj` in each residual block's MLP.
///
/// The reference checkpoints (OpenAI CLIP weights loaded by open_clip 2.10.1) were trained with
/// QuickGELU, so it is the default; open_clip 3.x builds plain GELU for the same model names
/// unless asked for `-quickgelu` (spec §4.1), and the two differ by up to ~0.02 per activation.
public enum Activation: String, Sendable, CaseIterable, Codable {
    /// `x · σ(1.702 x)`, OpenAI CLIP's approximation (open_clip `QuickGELU`).
    case quickGELU = "quickgelu"
    /// `x · Φ(x) = ½ x (1 + erf(x / √2))`, exact GELU (`torch.nn.GELU()`).
    case gelu
}
