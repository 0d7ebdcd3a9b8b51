import Tensors

extension ResidualAttentionBlock {
    /// The block after attention: `x += out_proj(context)`, then `x += c_proj(act(c_fc(ln_2(x))))`.
    ///
    /// - Parameters:
    ///   - rows: rows of `x` to update, `xStride` apart; the attention context of row `r` is at
    ///     `y + r · contextStride`; `y` is then overwritten by `ln_2`'s output, [rows, width].
    ///   - hidden: scratch for the MLP, [rows, mlpWidth].
    func attentionOutputAndMLP(rows: Int, width w: Int, mlpWidth mlp: Int, activation: Activation,
                               x: UnsafeMutablePointer<Float>, xStride: Int, y: UnsafeMutablePointer<Float>, contextStride: Int,
                               hidden: UnsafeMutablePointer<Float>, parallel par: Bool) {
        BLAS.sgemm(transposeB: true, m: rows, n: w, k: w, a: y, lda: contextStride,
                   b: outProjWeight.pointer, ldb: w, beta: 1, c: x, ldc: xStride)
        _Kernels.addRows(x, rows: rows, width: w, stride: xStride, bias: outProjBias.pointer, parallel: par)

        _Kernels.layerNorm(rows: rows, width: w, src: x, srcStride: xStride, dst: y, dstStride: w,
                           gamma: ln2Weight.pointer, beta: ln2Bias.pointer, parallel: par)
        _Kernels.fillRows(hidden, rows: rows, width: mlp, bias: fcBias.pointer, parallel: par)
        BLAS.sgemm(transposeB: true, m: rows, n: mlp, k: w, a: y, lda: w,
                   b: fcWeight.pointer, ldb: w, beta: 1, c: hidden, ldc: mlp)
        switch activation {
        case .quickGELU: _Kernels.quickGELU(hidden, count: rows * mlp, parallel: par)
        case .gelu: _Kernels.gelu(hidden, count: rows * mlp, parallel: par)
        }
        BLAS.sgemm(transposeB: true, m: rows, n: w, k: mlp, a: hidden, lda: mlp,
                   b: projWeight.pointer, ldb: mlp, beta: 1, c: x, ldc: xStride)
        _Kernels.addRows(x, rows: rows, width: w, stride: xStride, bias: projBias.pointer, parallel: par)
    }
}
