//! The hot matrix products of training and scoring, register-blocked.
//!
//! Every product of the MLP has the form C = A·B with a small, reused B (a
//! weight matrix, its transpose, or a batch of output gradients). B is
//! *packed* into panels of 8 columns (`[f32; 8]` per row, zero-padded) and A
//! into blocks of R rows (R values per step, zero-padded), so that either
//! layout of A (plain, or transposed for `dW = Xᵀ·dZ`) feeds the same R×8
//! micro-kernel: R×8 accumulators stay in registers while it walks the shared
//! dimension, one broadcast of A per row and one 8-wide load of B per step.
//! Written with fixed-size arrays and iterators (no bounds checks in the inner
//! loop) so that LLVM vectorises it: R = 4 on wasm32 (simd128, 8 `v128`
//! accumulators) and on plain x86-64 (SSE); natively on an AVX2 CPU the same
//! code is compiled a second time with R = 8 and chosen at run time. Sums run
//! in a fixed order and Rust never contracts `a * b + c` into an FMA, so every
//! path gives bit-identical results (tested), natively and in the browser.
//! The one exception is deliberate: the wasm32 build compiled with
//! `+relaxed-simd` (the package's `localrec_bg_relaxed.wasm`, loaded where
//! the browser supports relaxed SIMD) uses `f32x4.relaxed_madd` in the
//! micro-kernel — a fused multiply-add on CPUs with FMA, about 1.5× the
//! training throughput in Firefox — and so differs from the other paths in
//! the last bits (within 1e-5 of native after seeded training; tested by
//! `make test-browser-relaxed`).
//!
//! The epilogue fuses what follows the product: adding the bias, ReLU, or the
//! ReLU mask of the backward pass.
//!
//! ```
//! use localrec::nn::kernels::{gemm, pack_b, Epilogue, Rhs, Scratch};
//! // C (2×3) = A (2×2) · B (2×3) + bias
//! let a = [1.0f32, 2.0, 3.0, 4.0];
//! let b = [1.0f32, 0.0, 1.0, 0.0, 1.0, 1.0];
//! let mut scratch = Scratch::new();
//! let mut c = [0.0f32; 6];
//! gemm(2, 3, 2, &a, false, Rhs::RowMajor(&b), &mut c, Epilogue::Bias(&[0.5, 0.5, 0.5]), &mut scratch);
//! assert_eq!(c, [1.5, 2.5, 3.5, 3.5, 4.5, 7.5]);
//! // B packed once, for a product repeated with the same B:
//! let mut packed = Vec::new();
//! pack_b(&b, 2, 3, &mut packed);
//! let mut again = [0.0f32; 6];
//! gemm(2, 3, 2, &a, false, Rhs::Packed(&packed), &mut again, Epilogue::Bias(&[0.5, 0.5, 0.5]), &mut scratch);
//! assert_eq!(again, c);
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

/// The right-hand matrix B (k×n) of a product.
#[derive(Debug, Clone, Copy)]
pub enum Rhs<'a> {
    /// Packed by [`pack_b`] / [`pack_b_transposed`] (done once, reused).
    Packed(&'a [[f32; NR]]),
    /// Row-major k×n as stored (a weight matrix, or a batch of output
    /// gradients). The wasm32 kernel reads it in place when n is a multiple
    /// of 8; otherwise it is packed into the scratch first.
    RowMajor(&'a [f32]),
}

/// Buffers the kernels reuse between calls (they grow once, then nothing is
/// allocated).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    a: Vec<f32>,
    b: Vec<[f32; NR]>,
    column: Vec<f32>,
}

impl Scratch {
    pub fn new() -> Self {
        Self::default()
    }
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
            copy_short::<NR>(&mut dst[..w], &b[p * n + j0..p * n + j0 + w]);
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
/// as a row-major k×m matrix (used for `dW = Xᵀ · dZ`). `scratch` receives A
/// re-packed into row blocks (kept by the caller so that nothing is allocated
/// once it has grown).
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
    b: Rhs<'_>,
    c: &mut [f32],
    epilogue: Epilogue<'_>,
    scratch: &mut Scratch,
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        if short_product(m, n, k, a_transposed) {
            // SAFETY: the CPU supports AVX2, checked above.
            unsafe { row_products_avx2(m, n, k, a, b, c, epilogue, scratch) };
        } else {
            // SAFETY: the CPU supports AVX2, checked above.
            unsafe { gemm_avx2(m, n, k, a, a_transposed, b, c, epilogue, scratch) };
        }
        return;
    }
    gemm_blocked::<MR>(m, n, k, a, a_transposed, b, c, epilogue, scratch);
}

/// Natively (AVX2), a product whose shared dimension is at most this is
/// computed row by row, without packing A: the recommender head's first
/// layer (blocks of 256 items × 16 units × 13 features) spent more time
/// packing A into 8-row blocks than multiplying. The wasm32 kernels are not
/// affected.
#[cfg(target_arch = "x86_64")]
const SHORT_K: usize = 16;

/// Whether [`gemm`] takes the row-by-row path (natively, with AVX2).
#[cfg(target_arch = "x86_64")]
fn short_product(m: usize, n: usize, k: usize, a_transposed: bool) -> bool {
    !a_transposed && m > 0 && n > 1 && (2..=SHORT_K).contains(&k)
}

/// C = A·B one row of A at a time: per row and panel, the 8 accumulators
/// start from the bias and add A[i, p]·B[p, ·] for p = 0, 1, …, as the
/// blocked micro-kernel does, so the results are bit-identical to it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn row_products_avx2(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    b: Rhs<'_>,
    c: &mut [f32],
    epilogue: Epilogue<'_>,
    scratch: &mut Scratch,
) {
    let panels = n.div_ceil(NR);
    let packed: &[[f32; NR]] = match b {
        Rhs::Packed(p) => p,
        Rhs::RowMajor(rm) => {
            pack_b(rm, k, n, &mut scratch.b);
            &scratch.b
        }
    };
    if packed.len() < panels * k {
        return; // not reachable: B is packed by the engine for these sizes
    }
    for (i, row) in a.chunks_exact(k).take(m).enumerate() {
        for (q, panel) in packed.chunks_exact(k).take(panels).enumerate() {
            let j0 = q * NR;
            let w = NR.min(n - j0);
            let mut acc = initial(epilogue, j0, w);
            for (&x, b) in row.iter().zip(panel) {
                for (acc, &b) in acc.iter_mut().zip(b) {
                    *acc += x * b;
                }
            }
            store(c, n, i, j0, w, &acc, epilogue);
        }
    }
}

/// The same kernel compiled for AVX2: 8-wide registers, so 8 rows per block
/// keep eight independent accumulators in flight. Same summation order as the
/// portable path (no FMA contraction), hence bit-identical results.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_avx2(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_transposed: bool,
    b: Rhs<'_>,
    c: &mut [f32],
    epilogue: Epilogue<'_>,
    scratch: &mut Scratch,
) {
    gemm_blocked::<8>(m, n, k, a, a_transposed, b, c, epilogue, scratch);
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gemm_blocked<const R: usize>(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_transposed: bool,
    b: Rhs<'_>,
    c: &mut [f32],
    epilogue: Epilogue<'_>,
    scratch: &mut Scratch,
) {
    if m == 0 || n == 0 {
        return;
    }
    let a = &a[..m * k];
    let c = &mut c[..m * n];
    // The thin products of an output layer of one unit: a register block of
    // 8 columns would waste 7 of them.
    if n == 1 {
        let column = match b {
            Rhs::RowMajor(rm) => &rm[..k],
            Rhs::Packed(p) => {
                scratch.column.clear();
                scratch.column.extend(p[..k].iter().map(|row| row[0]));
                &scratch.column
            }
        };
        if a_transposed {
            column_product_transposed(m, k, a, column, c, epilogue);
        } else {
            column_product(m, k, a, column, c, epilogue);
        }
        return;
    }
    // A shared dimension of one (the gradient flowing back from a one-unit
    // output layer): an outer product, where the blocked kernel would spend
    // its time on setup.
    if k == 1 {
        let row = match b {
            Rhs::RowMajor(rm) => &rm[..n],
            Rhs::Packed(p) => &p.as_flattened()[..n],
        };
        outer_product(m, n, a, row, c, epilogue);
        return;
    }
    let panels = n.div_ceil(NR);
    #[cfg(target_arch = "wasm32")]
    if R == 4 {
        let (b, panel_stride, row_stride) = match b {
            Rhs::Packed(p) => (p.as_flattened(), k * NR, NR),
            Rhs::RowMajor(rm) if n % NR == 0 => (rm, NR, n),
            Rhs::RowMajor(rm) => {
                pack_b(rm, k, n, &mut scratch.b);
                (scratch.b.as_flattened(), k * NR, NR)
            }
        };
        simd128::gemm(
            m,
            n,
            k,
            a,
            a_transposed,
            b,
            panel_stride,
            row_stride,
            c,
            epilogue,
        );
        return;
    }
    let packed: &[[f32; NR]] = match b {
        Rhs::Packed(p) => p,
        Rhs::RowMajor(rm) => {
            pack_b(rm, k, n, &mut scratch.b);
            &scratch.b
        }
    };
    if packed.len() < panels * k {
        return; // not reachable: B is packed by the engine for these sizes
    }
    let blocks = m.div_ceil(R);
    pack_a::<R>(a, m, k, a_transposed, &mut scratch.a);
    let a_blocks = &scratch.a[..blocks * k * R];
    for ib in 0..blocks {
        let i0 = ib * R;
        let rows = R.min(m - i0);
        let a_block = &a_blocks[ib * k * R..(ib + 1) * k * R];
        for q in 0..panels {
            let panel = &packed[q * k..(q + 1) * k];
            let j0 = q * NR;
            let w = NR.min(n - j0);
            let acc = micro_kernel::<R>(a_block, panel, initial(epilogue, j0, w));
            for (r, row) in acc.iter().enumerate().take(rows) {
                store(c, n, i0 + r, j0, w, row, epilogue);
            }
        }
    }
}

/// C (m×1) = A·b for row-major A (m×k): one dot product per row, with four
/// interleaved partial sums (lane l adds the terms p ≡ l mod 4) so that it
/// vectorises, then (s0 + s1) + (s2 + s3) and the bias. The same order on
/// every target, so results stay bit-identical natively and in wasm.
fn column_product(m: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], epilogue: Epilogue<'_>) {
    let bias = initial(epilogue, 0, 1)[0];
    let b = &b[..k];
    let (b_body, b_tail) = b.split_at(k - k % 4);
    for (i, (row, out)) in a
        .chunks_exact(k.max(1))
        .zip(c.iter_mut())
        .take(m)
        .enumerate()
    {
        let (body, tail) = row.split_at(k - k % 4);
        let mut s = [0.0f32; 4];
        for (x, w) in body.chunks_exact(4).zip(b_body.chunks_exact(4)) {
            for l in 0..4 {
                s[l] += x[l] * w[l];
            }
        }
        for (l, (x, w)) in tail.iter().zip(b_tail).enumerate() {
            s[l] += x * w;
        }
        let v = bias + ((s[0] + s[1]) + (s[2] + s[3]));
        *out = finish(v, i, epilogue);
    }
    if k == 0 {
        for (i, out) in c.iter_mut().enumerate().take(m) {
            *out = finish(bias, i, epilogue);
        }
    }
}

/// C (m×1) = A·b where `a` holds Aᵀ (k×m row-major): the sum over p runs in
/// order for four rows at a time (contiguous in Aᵀ).
fn column_product_transposed(
    m: usize,
    k: usize,
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    epilogue: Epilogue<'_>,
) {
    let bias = initial(epilogue, 0, 1)[0];
    let mut i0 = 0;
    while i0 < m {
        let w = 4.min(m - i0);
        let mut s = [bias; 4];
        for (row, &bp) in a.chunks_exact(m).zip(b).take(k) {
            let x = &row[i0..i0 + w];
            for l in 0..w {
                s[l] += x[l] * bp;
            }
        }
        for l in 0..w {
            c[i0 + l] = finish(s[l], i0 + l, epilogue);
        }
        i0 += w;
    }
}

/// C (m×n) = a·bᵀ for a column a (m) and a row b (n): `init + a_i·b_j`, the
/// same arithmetic as the blocked kernel with k = 1.
fn outer_product(m: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32], epilogue: Epilogue<'_>) {
    for (i, (out, &x)) in c.chunks_exact_mut(n).zip(a).take(m).enumerate() {
        match epilogue {
            Epilogue::None => {
                for (o, &w) in out.iter_mut().zip(b) {
                    *o = 0.0 + x * w;
                }
            }
            Epilogue::Bias(bias) => {
                for ((o, &w), &bj) in out.iter_mut().zip(b).zip(bias) {
                    *o = bj + x * w;
                }
            }
            Epilogue::BiasRelu(bias) => {
                for ((o, &w), &bj) in out.iter_mut().zip(b).zip(bias) {
                    let v = bj + x * w;
                    *o = if v > 0.0 { v } else { 0.0 };
                }
            }
            Epilogue::ReluMask(mask) => {
                let mask = &mask[i * n..(i + 1) * n];
                for ((o, &w), &mk) in out.iter_mut().zip(b).zip(mask) {
                    let v = 0.0 + x * w;
                    *o = if mk > 0.0 { v } else { 0.0 };
                }
            }
        }
    }
}

/// The epilogue for one value of a one-column result.
#[inline(always)]
fn finish(v: f32, i: usize, epilogue: Epilogue<'_>) -> f32 {
    match epilogue {
        Epilogue::None | Epilogue::Bias(_) => v,
        Epilogue::BiasRelu(_) => {
            if v > 0.0 {
                v
            } else {
                0.0
            }
        }
        Epilogue::ReluMask(mask) => {
            if mask.get(i).is_some_and(|&mk| mk > 0.0) {
                v
            } else {
                0.0
            }
        }
    }
}

/// The accumulators' starting values for columns j0..j0+w: the bias, or 0.
#[inline(always)]
fn initial(epilogue: Epilogue<'_>, j0: usize, w: usize) -> [f32; NR] {
    let mut init = [0.0f32; NR];
    if let Epilogue::Bias(bias) | Epilogue::BiasRelu(bias) = epilogue {
        copy_short::<NR>(&mut init[..w], &bias[j0..j0 + w]);
    }
    init
}

/// Packs A into blocks of R rows: block b holds, for each p, A[bR..bR+R, p]
/// (zero-padded past the last row).
#[inline(always)]
fn pack_a<const R: usize>(a: &[f32], m: usize, k: usize, transposed: bool, out: &mut Vec<f32>) {
    let blocks = m.div_ceil(R);
    out.clear();
    out.resize(blocks * k * R, 0.0);
    for (ib, block) in out
        .chunks_exact_mut((k * R).max(1))
        .enumerate()
        .take(blocks)
    {
        let i0 = ib * R;
        let rows = R.min(m - i0);
        if transposed {
            for (dst, src) in block.chunks_exact_mut(R).zip(a.chunks_exact(m)) {
                copy_short::<R>(&mut dst[..rows], &src[i0..i0 + rows]);
            }
        } else {
            for r in 0..rows {
                let src = &a[(i0 + r) * k..(i0 + r + 1) * k];
                for (dst, &v) in block.chunks_exact_mut(R).zip(src) {
                    dst[r] = v;
                }
            }
        }
    }
}

/// R×8 accumulators over the shared dimension: one R-wide load of packed A
/// and one 8-wide load of packed B per step.
#[inline(always)]
fn micro_kernel<const R: usize>(
    a_block: &[f32],
    panel: &[[f32; NR]],
    init: [f32; NR],
) -> [[f32; NR]; R] {
    let mut acc = [init; R];
    for (a, b) in a_block.chunks_exact(R).zip(panel) {
        let Ok(a): Result<&[f32; R], _> = a.try_into() else {
            continue;
        };
        for r in 0..R {
            let x = a[r];
            for c in 0..NR {
                acc[r][c] += x * b[c];
            }
        }
    }
    acc
}

/// The wasm32 micro-kernel written with simd128 intrinsics: 4×8 accumulators
/// in eight `v128` locals. Same arithmetic in the same order as the portable
/// loop (a multiply, then an add), so results are bit-identical — except in
/// the relaxed-SIMD build, whose `madd` may fuse them (see the module doc).
#[cfg(target_arch = "wasm32")]
mod simd128 {
    use super::{initial, store, Epilogue, NR};

    /// Rows per register block: 4×8 accumulators are eight `v128` locals.
    const R: usize = 4;
    use core::arch::wasm32::*;

    /// C = A·B for wasm32: A is read in place (element (i, p) at
    /// i·row_stride + p·step), without the packed copy the portable path
    /// makes; measured in the browser, the copy's scalar scatter cost more
    /// than it saved.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn gemm(
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        a_transposed: bool,
        b: &[f32],
        panel_stride: usize,
        row_stride: usize,
        c: &mut [f32],
        epilogue: Epilogue<'_>,
    ) {
        let panels = n.div_ceil(NR);
        let (a_row_stride, step) = if a_transposed { (1, m) } else { (k, 1) };
        for i0 in (0..m).step_by(R) {
            let rows = R.min(m - i0);
            // Rows past the end repeat the last row (their results are
            // dropped), so A needs no padding.
            let offsets: [usize; R] =
                std::array::from_fn(|r| (i0 + r.min(rows - 1)) * a_row_stride);
            for q in 0..panels {
                let j0 = q * NR;
                let w = NR.min(n - j0);
                let panel = (b, q * panel_stride, row_stride);
                let acc = micro_kernel(a, offsets, step, k, panel, initial(epilogue, j0, w));
                for (r, row) in acc.iter().enumerate().take(rows) {
                    store(c, n, i0 + r, j0, w, row, epilogue);
                }
            }
        }
    }

    #[inline(always)]
    fn micro_kernel(
        a: &[f32],
        offsets: [usize; R],
        step: usize,
        k: usize,
        (b, b_start, b_stride): (&[f32], usize, usize),
        init: [f32; NR],
    ) -> [[f32; NR]; R] {
        let mut out = [init; R];
        if k == 0 {
            return out; // the initial values (bias or 0)
        }
        let last_a = offsets.iter().copied().max().unwrap_or(0) + (k - 1) * step;
        let last_b = b_start + (k - 1) * b_stride + NR - 1;
        if last_a >= a.len() || last_b >= b.len() {
            return out; // not reachable from `gemm`; keeps the unsafe block honest
        }
        // SAFETY: every A index read is ≤ `last_a` < a.len(), every B index
        // ≤ `last_b` < b.len() (checked above); v128 loads and stores may be
        // unaligned in wasm.
        unsafe {
            let ap = a.as_ptr();
            let bp = b.as_ptr().add(b_start);
            let i0 = f32x4(init[0], init[1], init[2], init[3]);
            let i1 = f32x4(init[4], init[5], init[6], init[7]);
            let (mut c00, mut c01, mut c10, mut c11) = (i0, i1, i0, i1);
            let (mut c20, mut c21, mut c30, mut c31) = (i0, i1, i0, i1);
            let mut b = bp;
            // One step of the product: C(4×8) += A(:, p) · B(p, :), the four
            // values of A(:, p) read through `$load`.
            macro_rules! steps {
                ($load:expr, $advance:expr) => {
                    for _ in 0..k {
                        let b0 = v128_load(b as *const v128);
                        let b1 = v128_load(b.add(4) as *const v128);
                        let x = f32x4_splat($load(0));
                        c00 = madd(x, b0, c00);
                        c01 = madd(x, b1, c01);
                        let x = f32x4_splat($load(1));
                        c10 = madd(x, b0, c10);
                        c11 = madd(x, b1, c11);
                        let x = f32x4_splat($load(2));
                        c20 = madd(x, b0, c20);
                        c21 = madd(x, b1, c21);
                        let x = f32x4_splat($load(3));
                        c30 = madd(x, b0, c30);
                        c31 = madd(x, b1, c31);
                        $advance;
                        b = b.add(b_stride);
                    }
                };
            }
            if step != 1 && offsets == std::array::from_fn(|r| offsets[0] + r) {
                // A transposed (dW = Xᵀ·dZ), four whole rows: the four values
                // are adjacent, one pointer with constant offsets serves them
                // (three fewer pointers to advance and keep in registers).
                let mut a = ap.add(offsets[0]);
                steps!(|r: usize| *a.add(r), a = a.add(step));
            } else {
                let mut rows = offsets.map(|o| ap.add(o));
                steps!(|r: usize| *rows[r], rows = rows.map(|p| p.add(step)));
            }
            for (row, (lo, hi)) in
                out.iter_mut()
                    .zip([(c00, c01), (c10, c11), (c20, c21), (c30, c31)])
            {
                let dst = row.as_mut_ptr() as *mut v128;
                v128_store(dst, lo);
                v128_store(dst.add(1), hi);
            }
        }
        out
    }

    /// `acc + x·b`: a multiply then an add (two roundings, bit-identical to
    /// the portable path) in the default build.
    #[cfg(not(target_feature = "relaxed-simd"))]
    #[inline(always)]
    fn madd(x: v128, b: v128, acc: v128) -> v128 {
        f32x4_add(acc, f32x4_mul(x, b))
    }

    /// `acc + x·b` as one relaxed multiply-add: fused (one rounding) where the
    /// CPU has FMA, so results differ from the default build in the last bits.
    #[cfg(target_feature = "relaxed-simd")]
    #[inline(always)]
    fn madd(x: v128, b: v128, acc: v128) -> v128 {
        f32x4_relaxed_madd(x, b, acc)
    }

    /// Stores one full 8-wide row of results with the epilogue, branch-free:
    /// a ReLU as `pmax(0, v)` (one `maxps`; NaN → 0 like the portable
    /// compare-and-select) and the ReLU mask as a bitwise AND with `mask > 0`.
    /// The data-dependent branch of the scalar form mispredicts about half the
    /// time on real activations, which cost more than the product itself.
    #[inline(always)]
    pub(super) fn store_row(
        dst: &mut [f32; NR],
        acc: &[f32; NR],
        relu: bool,
        mask: Option<&[f32; NR]>,
    ) {
        // SAFETY: `dst`, `acc` and `mask` are [f32; 8]: 32 bytes each, two
        // (possibly unaligned) v128 loads or stores.
        unsafe {
            let src = acc.as_ptr() as *const v128;
            let out = dst.as_mut_ptr() as *mut v128;
            let zero = f32x4_splat(0.0);
            for h in 0..2 {
                let mut v = v128_load(src.add(h));
                if relu {
                    v = f32x4_pmax(zero, v);
                }
                if let Some(m) = mask {
                    let m = v128_load((m.as_ptr() as *const v128).add(h));
                    v = v128_and(v, f32x4_gt(m, zero));
                }
                v128_store(out.add(h), v);
            }
        }
    }
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
    #[cfg(target_arch = "wasm32")]
    if let Ok(full) = <&mut [f32; NR]>::try_from(&mut *dst) {
        let relu = matches!(epilogue, Epilogue::BiasRelu(_));
        let mask = match epilogue {
            Epilogue::ReluMask(mask) => <&[f32; NR]>::try_from(&mask[start..start + NR]).ok(),
            _ => None,
        };
        if mask.is_some() || !matches!(epilogue, Epilogue::ReluMask(_)) {
            simd128::store_row(full, acc, relu, mask);
            return;
        }
    }
    match epilogue {
        Epilogue::None | Epilogue::Bias(_) => {
            copy_short::<NR>(dst, &acc[..w]);
        }
        Epilogue::BiasRelu(_) => {
            let mut relu = *acc;
            // A compare-and-select, not `f32::max`: in wasm32 `max` is a call to
            // `fmaxf` per element (it must treat NaN specially), which cost
            // more than the whole product. NaN maps to 0 either way.
            for v in relu.iter_mut() {
                *v = if *v > 0.0 { *v } else { 0.0 };
            }
            copy_short::<NR>(dst, &relu[..w]);
        }
        Epilogue::ReluMask(mask) => {
            let mask = &mask[start..start + w];
            for ((d, &v), &mk) in dst.iter_mut().zip(acc).zip(mask) {
                *d = if mk > 0.0 { v } else { 0.0 };
            }
        }
    }
}

/// Copies `src` into `dst` (same length). When that length is `N` the copy
/// is a fixed-size move (a couple of vector loads and stores); a slice copy
/// of unknown length would otherwise become a call to `memmove` per row,
/// which costs more than the arithmetic around it.
#[inline(always)]
fn copy_short<const N: usize>(dst: &mut [f32], src: &[f32]) {
    if let (Ok(d), Ok(s)) = (
        <&mut [f32; N]>::try_from(&mut *dst),
        <&[f32; N]>::try_from(src),
    ) {
        *d = *s;
        return;
    }
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = v;
    }
}

/// Copies a row of the same length as `dst`. In wasm a slice copy is a
/// `memory.copy`, whose fixed cost per call exceeds a 64-float row's worth
/// of v128 moves; natively it is the plain `copy_from_slice`.
#[inline]
pub fn copy_row(dst: &mut [f32], src: &[f32]) {
    #[cfg(target_arch = "wasm32")]
    {
        let n = dst.len().min(src.len());
        let body = n - n % 4;
        // SAFETY: i + 4 ≤ body ≤ len of both slices for every v128 moved.
        unsafe {
            use core::arch::wasm32::{v128, v128_load, v128_store};
            let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
            let mut i = 0;
            while i < body {
                v128_store(d.add(i) as *mut v128, v128_load(s.add(i) as *const v128));
                i += 4;
            }
        }
        for (d, &v) in dst[body..n].iter_mut().zip(&src[body..n]) {
            *d = v;
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    dst.copy_from_slice(src);
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
            let mut scratch = Scratch::new();
            pack_b(&b, k, n, &mut packed);
            let mut c = vec![f32::NAN; m * n];
            gemm(
                m,
                n,
                k,
                &a,
                false,
                Rhs::Packed(&packed),
                &mut c,
                Epilogue::None,
                &mut scratch,
            );
            close(&c, &want);

            // B read in place (row-major) gives the same bits as packed B.
            let mut c_rm = vec![f32::NAN; m * n];
            gemm(
                m,
                n,
                k,
                &a,
                false,
                Rhs::RowMajor(&b),
                &mut c_rm,
                Epilogue::None,
                &mut scratch,
            );
            assert_eq!(c_rm, c, "{m}x{n}x{k} row-major B");

            // A given transposed.
            let at = transpose(&a, m, k);
            gemm(
                m,
                n,
                k,
                &at,
                true,
                Rhs::Packed(&packed),
                &mut c,
                Epilogue::None,
                &mut scratch,
            );
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
                Rhs::Packed(&packed),
                &mut c,
                Epilogue::BiasRelu(&bias),
                &mut scratch,
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
                Rhs::Packed(&packed),
                &mut c,
                Epilogue::ReluMask(&mask),
                &mut scratch,
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
    fn dispatched_and_portable_kernels_agree_bit_for_bit() {
        // The AVX2 path (when the CPU has it) must give exactly the portable
        // (wasm32) result, or native and browser training would diverge.
        let mut rng = Rng::new(2);
        let shapes = [
            (64, 64, 64),
            (64, 32, 64),
            (13, 1, 32),
            (9, 20, 7),
            (256, 16, 13),
            (7, 9, 16),
            (5, 3, 2),
        ];
        for &(m, n, k) in &shapes {
            let a = random(&mut rng, m * k);
            let b = random(&mut rng, k * n);
            let mut packed = Vec::new();
            pack_b(&b, k, n, &mut packed);
            let (mut c1, mut c2) = (vec![0.0f32; m * n], vec![0.0f32; m * n]);
            for transposed in [false, true] {
                let a = if transposed {
                    transpose(&a, m, k)
                } else {
                    a.clone()
                };
                gemm(
                    m,
                    n,
                    k,
                    &a,
                    transposed,
                    Rhs::Packed(&packed),
                    &mut c1,
                    Epilogue::None,
                    &mut Scratch::new(),
                );
                gemm_blocked::<MR>(
                    m,
                    n,
                    k,
                    &a,
                    transposed,
                    Rhs::Packed(&packed),
                    &mut c2,
                    Epilogue::None,
                    &mut Scratch::new(),
                );
                assert_eq!(c1, c2);
            }
        }
    }

    /// A product with [`gemm`]'s signature.
    type Kernel =
        fn(usize, usize, usize, &[f32], bool, Rhs<'_>, &mut [f32], Epilogue<'_>, &mut Scratch);

    /// The blocked kernel alone: the AVX2 build where the CPU has it, as
    /// [`gemm`] chose before small products went row by row.
    #[allow(clippy::too_many_arguments)]
    fn blocked(
        m: usize,
        n: usize,
        k: usize,
        a: &[f32],
        a_transposed: bool,
        b: Rhs<'_>,
        c: &mut [f32],
        epilogue: Epilogue<'_>,
        scratch: &mut Scratch,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked on the line above.
            unsafe { gemm_avx2(m, n, k, a, a_transposed, b, c, epilogue, scratch) };
            return;
        }
        gemm_blocked::<MR>(m, n, k, a, a_transposed, b, c, epilogue, scratch);
    }

    /// The small products of the recommender head, through [`gemm`] (row by
    /// row natively with AVX2) and through the blocked kernel (prints,
    /// asserts nothing about time): `cargo test --release --lib --
    /// --ignored --nocapture small_product_speed`.
    #[test]
    #[ignore]
    fn small_product_speed() {
        let mut rng = Rng::new(4);
        for &(m, n, k) in &[(256, 16, 13), (256, 16, 24), (256, 64, 24), (256, 32, 64)] {
            let a = random(&mut rng, m * k);
            let b = random(&mut rng, k * n);
            let bias = random(&mut rng, n);
            let mut packed = Vec::new();
            pack_b(&b, k, n, &mut packed);
            let mut c = vec![0.0f32; m * n];
            let mut scratch = Scratch::new();
            let reps = 20_000;
            let mut gmacs = |kernel: Kernel| {
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    let epilogue = Epilogue::BiasRelu(&bias);
                    kernel(
                        m,
                        n,
                        k,
                        &a,
                        false,
                        Rhs::Packed(&packed),
                        &mut c,
                        epilogue,
                        &mut scratch,
                    );
                }
                (m * n * k * reps) as f64 / t.elapsed().as_secs_f64() / 1e9
            };
            let (dispatched, blocked) = (gmacs(gemm), gmacs(blocked));
            println!(
                "{m}x{n}, k = {k}: gemm {dispatched:.2} GMAC/s, blocked kernel {blocked:.2} GMAC/s"
            );
        }
    }

    #[test]
    fn column_sums_add_rows() {
        let mut out = [9.0f32; 2];
        column_sums(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, &mut out);
        assert_eq!(out, [9.0, 12.0]);
    }
}
