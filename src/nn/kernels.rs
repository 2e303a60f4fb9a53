//! The hot matrix products of training and scoring, register-blocked.
//!
//! Every product of the MLP has the form C = A·B with a small, reused B (a
//! weight matrix, its transpose, or a batch of output gradients). B is first
//! *packed* into panels of 8 columns (`[f32; 8]` per row, zero-padded), then a
//! 4×8 micro-kernel keeps 32 accumulators in registers while it walks the
//! shared dimension: one broadcast of A per row and one 8-wide load of B per
//! step. Written with fixed-size arrays and iterators (no bounds checks in the
//! inner loop) so that LLVM vectorises it to simd128 on wasm32 and to SSE/AVX
//! natively. Sums run in a fixed order, so results are the same on every
//! platform (Rust never contracts `a * b + c` into an FMA on its own).
//!
//! The epilogue fuses what follows the product: adding the bias, ReLU, or the
//! ReLU mask of the backward pass.
//!
//! ```
//! use localrec::nn::kernels::{gemm, pack_b, Epilogue};
//! // C (2×3) = A (2×2) · B (2×3) + bias
//! let a = [1.0f32, 2.0, 3.0, 4.0];
//! let b = [1.0f32, 0.0, 1.0, 0.0, 1.0, 1.0];
//! let mut packed = Vec::new();
//! pack_b(&b, 2, 3, &mut packed);
//! let mut c = [0.0f32; 6];
//! gemm(2, 3, 2, &a, false, &packed, &mut c, Epilogue::Bias(&[0.5, 0.5, 0.5]));
//! assert_eq!(c, [1.5, 2.5, 3.5, 3.5, 4.5, 7.5]);
//! ```

/// Columns per register block (one packed panel).
pub const NR: usize = 8;
/// Rows per register block.
pub const MR: usize = 4;

/// What to do with each computed element before it is stored.
#[derive(Debug, Clone, Copy)]
pub enum Epilogue<'a> {
    /// Store A·B as is.
    None,
    /// Store A·B + bias (bias has one value per column).
    Bias(&'a [f32]),
    /// Store max(0, A·B + bias).
    BiasRelu(&'a [f32]),
    /// Store A·B where `mask` (same shape as C) is > 0, else 0: the ReLU backward.
    ReluMask(&'a [f32]),
}

/// Packs a row-major k×n matrix B into ⌈n/8⌉ panels of k rows of 8 columns.
pub fn pack_b(b: &[f32], k: usize, n: usize, out: &mut Vec<[f32; NR]>) {
    let panels = n.div_ceil(NR);
    out.clear();
    out.resize(panels * k, [0.0; NR]);
    for (q, panel) in out.chunks_exact_mut(k.max(1)).enumerate().take(panels) {
        let j0 = q * NR;
        let w = NR.min(n - j0);
        for (p, dst) in panel.iter_mut().enumerate() {
            let row = &b[p * n + j0..p * n + j0 + w];
            dst[..w].copy_from_slice(row);
        }
    }
}

/// Packs Bᵀ, where `b` is a row-major n×k matrix (so the packed matrix is k×n).
/// Used for `dX = dZ · Wᵀ` without materialising Wᵀ.
pub fn pack_b_transposed(b: &[f32], n: usize, k: usize, out: &mut Vec<[f32; NR]>) {
    let panels = n.div_ceil(NR);
    out.clear();
    out.resize(panels * k, [0.0; NR]);
    for (q, panel) in out.chunks_exact_mut(k.max(1)).enumerate().take(panels) {
        let j0 = q * NR;
        let w = NR.min(n - j0);
        for c in 0..w {
            let src = &b[(j0 + c) * k..(j0 + c + 1) * k];
            for (dst, &v) in panel.iter_mut().zip(src) {
                dst[c] = v;
            }
        }
    }
}

/// C (m×n, row-major) = A·B with B packed by [`pack_b`] / [`pack_b_transposed`].
///
/// A is m×k row-major when `a_transposed` is false; when true, `a` holds Aᵀ
/// as a row-major k×m matrix (used for `dW = Xᵀ · dZ`).
///
/// Sizes are the caller's invariant (the engine's own buffers); a short slice
/// is a bug in the engine, not something caller input can cause.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_transposed: bool,
    packed: &[[f32; NR]],
    c: &mut [f32],
    epilogue: Epilogue<'_>,
) {
    if m == 0 || n == 0 {
        return;
    }
    let a = &a[..m * k];
    let c = &mut c[..m * n];
    let panels = n.div_ceil(NR);
    for q in 0..panels {
        let panel = &packed[q * k..(q + 1) * k];
        let j0 = q * NR;
        let w = NR.min(n - j0);
        let mut init = [0.0f32; NR];
        if let Epilogue::Bias(bias) | Epilogue::BiasRelu(bias) = epilogue {
            init[..w].copy_from_slice(&bias[j0..j0 + w]);
        }
        let mut i = 0;
        while i + MR <= m {
            let acc = if a_transposed {
                block_at(a, m, i, panel, init)
            } else {
                block_a(a, k, i, panel, init)
            };
            for (r, row) in acc.iter().enumerate() {
                store(c, n, i + r, j0, w, row, epilogue);
            }
            i += MR;
        }
        while i < m {
            let acc = if a_transposed {
                row_at(a, m, i, panel, init)
            } else {
                row_a(&a[i * k..(i + 1) * k], panel, init)
            };
            store(c, n, i, j0, w, &acc, epilogue);
            i += 1;
        }
    }
}

/// 4×8 block, A row-major (rows i..i+4 are contiguous runs of k values).
#[inline(always)]
fn block_a(a: &[f32], k: usize, i: usize, panel: &[[f32; NR]], init: [f32; NR]) -> [[f32; NR]; MR] {
    let mut acc = [init; MR];
    let a0 = &a[i * k..(i + 1) * k];
    let a1 = &a[(i + 1) * k..(i + 2) * k];
    let a2 = &a[(i + 2) * k..(i + 3) * k];
    let a3 = &a[(i + 3) * k..(i + 4) * k];
    for ((((b, &x0), &x1), &x2), &x3) in panel.iter().zip(a0).zip(a1).zip(a2).zip(a3) {
        for c in 0..NR {
            acc[0][c] += x0 * b[c];
            acc[1][c] += x1 * b[c];
            acc[2][c] += x2 * b[c];
            acc[3][c] += x3 * b[c];
        }
    }
    acc
}

/// 4×8 block, A given transposed (Aᵀ row-major k×m: A[i..i+4, p] is contiguous).
#[inline(always)]
fn block_at(
    at: &[f32],
    m: usize,
    i: usize,
    panel: &[[f32; NR]],
    init: [f32; NR],
) -> [[f32; NR]; MR] {
    let mut acc = [init; MR];
    for (b, row) in panel.iter().zip(at.chunks_exact(m)) {
        if let Some(&[x0, x1, x2, x3]) = row.get(i..i + MR) {
            for c in 0..NR {
                acc[0][c] += x0 * b[c];
                acc[1][c] += x1 * b[c];
                acc[2][c] += x2 * b[c];
                acc[3][c] += x3 * b[c];
            }
        }
    }
    acc
}

#[inline(always)]
fn row_a(a_row: &[f32], panel: &[[f32; NR]], init: [f32; NR]) -> [f32; NR] {
    let mut acc = init;
    for (b, &x) in panel.iter().zip(a_row) {
        for c in 0..NR {
            acc[c] += x * b[c];
        }
    }
    acc
}

#[inline(always)]
fn row_at(at: &[f32], m: usize, i: usize, panel: &[[f32; NR]], init: [f32; NR]) -> [f32; NR] {
    let mut acc = init;
    for (b, row) in panel.iter().zip(at.chunks_exact(m)) {
        let x = row[i];
        for c in 0..NR {
            acc[c] += x * b[c];
        }
    }
    acc
}

#[inline(always)]
fn store(
    c: &mut [f32],
    n: usize,
    row: usize,
    j0: usize,
    w: usize,
    acc: &[f32; NR],
    epilogue: Epilogue<'_>,
) {
    let start = row * n + j0;
    let dst = &mut c[start..start + w];
    match epilogue {
        Epilogue::None | Epilogue::Bias(_) => dst.copy_from_slice(&acc[..w]),
        Epilogue::BiasRelu(_) => {
            for (d, &v) in dst.iter_mut().zip(acc) {
                *d = v.max(0.0);
            }
        }
        Epilogue::ReluMask(mask) => {
            let mask = &mask[start..start + w];
            for ((d, &v), &mk) in dst.iter_mut().zip(acc).zip(mask) {
                *d = if mk > 0.0 { v } else { 0.0 };
            }
        }
    }
}

/// Column sums of a row-major m×n matrix into `out` (the bias gradient).
pub fn column_sums(a: &[f32], n: usize, out: &mut [f32]) {
    out.iter_mut().for_each(|v| *v = 0.0);
    if n == 0 {
        return;
    }
    for row in a.chunks_exact(n) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn naive(m: usize, n: usize, k: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
        let mut c = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for p in 0..k {
                    s += a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = s;
            }
        }
        c
    }

    fn random(rng: &mut Rng, len: usize) -> Vec<f32> {
        (0..len).map(|_| rng.normal()).collect()
    }

    fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        let mut t = vec![0.0f32; a.len()];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        t
    }

    #[test]
    fn all_layouts_match_the_naive_product() {
        let mut rng = Rng::new(1);
        for &(m, n, k) in &[
            (1, 1, 1),
            (4, 8, 3),
            (7, 13, 5),
            (64, 64, 64),
            (65, 1, 32),
            (3, 32, 1),
            (9, 17, 0),
        ] {
            let a = random(&mut rng, m * k);
            let b = random(&mut rng, k * n);
            let bias = random(&mut rng, n);
            let want = naive(m, n, k, &a, &b);
            let close = |got: &[f32], want: &[f32]| {
                for (g, w) in got.iter().zip(want) {
                    assert!(
                        (g - w).abs() < 1e-4 * (1.0 + w.abs()),
                        "{m}x{n}x{k}: {g} vs {w}"
                    );
                }
            };
            let mut packed = Vec::new();
            pack_b(&b, k, n, &mut packed);
            let mut c = vec![f32::NAN; m * n];
            gemm(m, n, k, &a, false, &packed, &mut c, Epilogue::None);
            close(&c, &want);

            // A given transposed.
            let at = transpose(&a, m, k);
            gemm(m, n, k, &at, true, &packed, &mut c, Epilogue::None);
            close(&c, &want);

            // B given as its transpose.
            let bt = transpose(&b, k, n);
            let mut packed_t = Vec::new();
            pack_b_transposed(&bt, n, k, &mut packed_t);
            assert_eq!(packed, packed_t);

            // Fused bias + ReLU, and the ReLU mask.
            gemm(
                m,
                n,
                k,
                &a,
                false,
                &packed,
                &mut c,
                Epilogue::BiasRelu(&bias),
            );
            let with_bias: Vec<f32> = want
                .iter()
                .enumerate()
                .map(|(idx, w)| (w + bias[idx % n]).max(0.0))
                .collect();
            close(&c, &with_bias);
            let mask = with_bias.clone();
            gemm(
                m,
                n,
                k,
                &a,
                false,
                &packed,
                &mut c,
                Epilogue::ReluMask(&mask),
            );
            let masked: Vec<f32> = want
                .iter()
                .zip(&mask)
                .map(|(w, mk)| if *mk > 0.0 { *w } else { 0.0 })
                .collect();
            close(&c, &masked);
        }
    }

    #[test]
    fn column_sums_add_rows() {
        let mut out = [9.0f32; 2];
        column_sums(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, &mut out);
        assert_eq!(out, [9.0, 12.0]);
    }
}
