//! `2^x` for the profile's time decay, without libm's 4 KB `exp2` table in the
//! WebAssembly.
//!
//! Why: `f64::exp2` links musl's `exp2`, whose 256 pairs of f64 constants
//! (Gal's accurate table) are 4.3 KB of data that gzip cannot shrink: 3 % of the
//! package's download for one decay factor. Here `x = n + f` with `n` the nearest
//! integer (so `f` is exact and |f| ≤ 1/2), `2^f = 1 + expm1(f·ln 2)` (libm's
//! `expm1`, which the crate links anyway) and the power of two `2^n` is exact.
//! The result is within 2 ulps of the true `2^x` (f·ln 2 rounds by at most
//! 2.8e-17 relative, `expm1` and the `+ 1` by half an ulp each; the test checks
//! it against the platform's `exp2`), not always the same bits as `f64::exp2`.
//!
//! ```
//! use localrec::pow2::exp2;
//! assert_eq!(exp2(0.0), 1.0);
//! assert_eq!(exp2(-1.0), 0.5);
//! assert_eq!(exp2(10.0), 1024.0);
//! assert!((exp2(0.5) - std::f64::consts::SQRT_2).abs() <= 2.0 * f64::EPSILON);
//! assert_eq!(exp2(f64::NEG_INFINITY), 0.0);
//! assert!(exp2(f64::NAN).is_nan());
//! ```

use std::f64::consts::LN_2;

/// `2^x` within 2 ulps (0 below 2^-1075, +inf from 2^1024 up, NaN for NaN).
pub fn exp2(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x >= 1024.0 {
        return f64::INFINITY;
    }
    if x < -1076.0 {
        return 0.0;
    }
    // Ties to even (one wasm instruction); f = x - n is exact for |x| < 2^52.
    let n = x.round_ties_even();
    let f = x - n;
    let y = (f * LN_2).exp_m1() + 1.0;
    scale(y, n as i32)
}

/// `y · 2^n` for `y` in [0.7, 1.5] and `n` in [-1076, 1024]: exact unless the result is subnormal.
fn scale(y: f64, n: i32) -> f64 {
    let pow = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    if n > 1023 {
        // 2^1024 is not an f64, but y · 2^1024 may be (x just below 1024).
        y * pow(1023) * 2.0
    } else if n >= -1022 {
        y * pow(n)
    } else {
        // Two steps, so that neither factor is subnormal.
        y * pow(-1022) * pow(n + 1022)
    }
}

#[cfg(test)]
mod tests {
    use super::exp2;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn within_two_ulps_of_the_platform() {
        let mut worst = 0;
        // The decay's range (ages up to 40 half-lives and back) densely, then the rest of the normal range.
        let mut x = -64.0;
        while x <= 64.0 {
            worst = worst.max(ulps(exp2(x), x.exp2()));
            x += 1.0 / 1024.0 + 1e-9;
        }
        let mut x = -1022.0;
        while x < 1023.9 {
            worst = worst.max(ulps(exp2(x), x.exp2()));
            x += 0.37;
        }
        assert!(worst <= 2, "worst {worst} ulps");
    }

    #[test]
    fn integers_are_exact_and_edges_are_clean() {
        for n in -1074..1024 {
            assert_eq!(exp2(n as f64), (n as f64).exp2(), "2^{n}");
        }
        assert_eq!(exp2(1024.0), f64::INFINITY);
        assert_eq!(exp2(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp2(-1080.0), 0.0);
        assert_eq!(exp2(f64::NEG_INFINITY), 0.0);
        assert!(exp2(f64::NAN).is_nan());
        assert!(exp2(-1074.5) >= 0.0 && exp2(-1074.5) <= f64::from_bits(1));
        assert_eq!(exp2(-0.0), 1.0);
        assert!(ulps(exp2(1023.75), 1023.75f64.exp2()) <= 2);
    }
}
