//! Cosine for the bounded arguments the crate uses, without libm's huge-argument
//! reduction in the WebAssembly.
//!
//! Why: `f64::cos` / `f32::cos` link musl's `cos`/`cosf`, whose argument
//! reduction for |x| ≥ 2^20·π/2 (`rem_pio2_large`, a 1,584-bit table of 2/π)
//! is about 6 KB of WebAssembly. The crate only takes cosines of angles in
//! [0, 2π] (Box–Muller in [`crate::rng`], the cosine learning-rate schedule).
//! These are musl's own algorithms (FreeBSD msun: `cos`, `__rem_pio2`,
//! `__cos`, `__sin`, `cosf`, `__cosf`, `__sinf`), step for step, up to the
//! medium-size reduction; in the browser they give the same bits as
//! `f64::cos`/`f32::cos` (tests/web_read.rs compares them), natively they agree with
//! the platform's libm to an ulp. Above 2^20·π/2 (`cos`) or 2^28·π/2 (`cos_f32`) the
//! medium reduction keeps the result in [-1, 1] but loses precision; nothing here
//! calls it there.
//!
//! ```
//! use localrec::trig::{cos, cos_f32};
//! assert_eq!(cos(0.0), 1.0);
//! assert!((cos(std::f64::consts::PI) + 1.0).abs() < 1e-15);
//! assert!((cos_f32(1.0) - 1f32.cos()).abs() <= f32::EPSILON);
//! assert!(cos(f64::NAN).is_nan());
//! ```

// musl's constants verbatim (more digits than an f64 holds; the same values).
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use std::f64::consts::FRAC_PI_2;

// __rem_pio2 (musl): pi/2 in three pieces of 33 bits and their tails.
const TO_INT: f64 = 1.5 / f64::EPSILON;
const INV_PIO2: f64 = 6.366_197_723_675_813_824_33e-1;
const PIO2_1: f64 = 1.570_796_326_734_125_614_17;
const PIO2_1T: f64 = 6.077_100_506_506_192_249_32e-11;
const PIO2_2: f64 = 6.077_100_506_303_965_976_60e-11;
const PIO2_2T: f64 = 2.022_266_248_795_950_631_54e-21;
const PIO2_3: f64 = 2.022_266_248_711_166_455_80e-21;
const PIO2_3T: f64 = 8.478_427_660_368_899_569_97e-32;

/// The cosine of `x` (NaN for NaN and ±inf), as musl computes it.
pub fn cos(x: f64) -> f64 {
    let ix = (x.to_bits() >> 32) as u32 & 0x7fff_ffff;
    if ix <= 0x3fe9_21fb {
        // |x| <= pi/4; cos(x) = 1 for |x| < 2^-27·sqrt(2)
        if ix < 0x3e46_a09e {
            return 1.0;
        }
        return kernel_cos(x, 0.0);
    }
    if ix >= 0x7ff0_0000 {
        return f64::NAN; // cos(±inf or NaN)
    }
    let (n, y0, y1) = rem_pio2(x);
    match n & 3 {
        0 => kernel_cos(y0, y1),
        1 => -kernel_sin(y0, y1),
        2 => -kernel_cos(y0, y1),
        _ => kernel_sin(y0, y1),
    }
}

/// `x - n·pi/2` as `y0 + y1`, with the quadrant `n` (musl's `__rem_pio2` up to its medium case).
fn rem_pio2(x: f64) -> (i32, f64, f64) {
    let negative = x.to_bits() >> 63 != 0;
    let ix = (x.to_bits() >> 32) as u32 & 0x7fff_ffff;
    // |x| near a small multiple k·pi/2: one subtraction of k·(PIO2_1 + PIO2_1T).
    let near = |k: f64, n: i32| -> (i32, f64, f64) {
        if negative {
            let z = x + k * PIO2_1;
            let y0 = z + k * PIO2_1T;
            (-n, y0, (z - y0) + k * PIO2_1T)
        } else {
            let z = x - k * PIO2_1;
            let y0 = z - k * PIO2_1T;
            (n, y0, (z - y0) - k * PIO2_1T)
        }
    };
    if ix <= 0x400f_6a7a {
        // |x| <= 5pi/4
        if (ix & 0xfffff) == 0x921fb {
            return medium(x, ix); // |x| ~= pi/2 or pi: cancellation
        }
        return if ix <= 0x4002_d97c {
            near(1.0, 1)
        } else {
            near(2.0, 2)
        };
    }
    if ix <= 0x401c_463b {
        // |x| <= 9pi/4
        if ix <= 0x4015_fdbc {
            if ix == 0x4012_d97c {
                return medium(x, ix); // |x| ~= 3pi/2
            }
            return near(3.0, 3);
        }
        if ix == 0x4019_21fb {
            return medium(x, ix); // |x| ~= 2pi
        }
        return near(4.0, 4);
    }
    medium(x, ix)
}

/// musl's medium-size reduction (exact to 151 bits for |x| < 2^20·pi/2).
fn medium(x: f64, ix: u32) -> (i32, f64, f64) {
    let f_n = x * INV_PIO2 + TO_INT - TO_INT;
    let n = f_n as i32;
    let mut r = x - f_n * PIO2_1;
    let mut w = f_n * PIO2_1T;
    let mut y0 = r - w;
    let ex = (ix >> 20) as i32;
    let ey = (y0.to_bits() >> 52) as i32 & 0x7ff;
    if ex - ey > 16 {
        let t = r;
        w = f_n * PIO2_2;
        r = t - w;
        w = f_n * PIO2_2T - ((t - r) - w);
        y0 = r - w;
        let ey = (y0.to_bits() >> 52) as i32 & 0x7ff;
        if ex - ey > 49 {
            let t = r;
            w = f_n * PIO2_3;
            r = t - w;
            w = f_n * PIO2_3T - ((t - r) - w);
            y0 = r - w;
        }
    }
    (n, y0, (r - y0) - w)
}

/// musl's `__cos(x, y)` on [-pi/4, pi/4] (`y` the tail of `x`).
fn kernel_cos(x: f64, y: f64) -> f64 {
    const C1: f64 = 4.166_666_666_666_660_190_37e-2;
    const C2: f64 = -1.388_888_888_887_410_957_49e-3;
    const C3: f64 = 2.480_158_728_947_672_941_78e-5;
    const C4: f64 = -2.755_731_435_139_066_330_35e-7;
    const C5: f64 = 2.087_572_321_298_174_827_90e-9;
    const C6: f64 = -1.135_964_755_778_819_482_65e-11;
    let z = x * x;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// musl's `__sin(x, y, 1)` on [-pi/4, pi/4].
fn kernel_sin(x: f64, y: f64) -> f64 {
    const S1: f64 = -1.666_666_666_666_663_243_48e-1;
    const S2: f64 = 8.333_333_333_322_489_461_24e-3;
    const S3: f64 = -1.984_126_982_985_794_931_34e-4;
    const S4: f64 = 2.755_731_370_707_006_767_89e-6;
    const S5: f64 = -2.505_076_025_340_686_341_95e-8;
    const S6: f64 = 1.589_690_995_211_550_102_21e-10;
    let z = x * x;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * S1)
}

/// The cosine of an `f32` (NaN for NaN and ±inf), as musl's `cosf` computes it.
pub fn cos_f32(x: f32) -> f32 {
    const C1_PIO2: f64 = FRAC_PI_2;
    const C2_PIO2: f64 = 2.0 * FRAC_PI_2;
    const C3_PIO2: f64 = 3.0 * FRAC_PI_2;
    const C4_PIO2: f64 = 4.0 * FRAC_PI_2;
    let x64 = x as f64;
    let negative = x.to_bits() >> 31 != 0;
    let ix = x.to_bits() & 0x7fff_ffff;
    if ix <= 0x3f49_0fda {
        // |x| <= pi/4
        if ix < 0x3980_0000 {
            return 1.0;
        }
        return kernel_cos_f32(x64);
    }
    if ix <= 0x407b_53d1 {
        // |x| <= 5pi/4
        if ix > 0x4016_cbe3 {
            return -kernel_cos_f32(if negative {
                x64 + C2_PIO2
            } else {
                x64 - C2_PIO2
            });
        }
        return kernel_sin_f32(if negative {
            x64 + C1_PIO2
        } else {
            C1_PIO2 - x64
        });
    }
    if ix <= 0x40e2_31d5 {
        // |x| <= 9pi/4
        if ix > 0x40af_eddf {
            return kernel_cos_f32(if negative {
                x64 + C4_PIO2
            } else {
                x64 - C4_PIO2
            });
        }
        return kernel_sin_f32(if negative {
            -x64 - C3_PIO2
        } else {
            x64 - C3_PIO2
        });
    }
    if ix >= 0x7f80_0000 {
        return f32::NAN; // cos(±inf or NaN)
    }
    // musl's __rem_pio2f, medium case (exact for |x| < 2^28·pi/2).
    const PIO2_1: f64 = 1.570_796_310_901_641_845_70;
    const PIO2_1T: f64 = 1.589_325_477_352_819_669_16e-8;
    let f_n = x64 * INV_PIO2 + TO_INT - TO_INT;
    let y = x64 - f_n * PIO2_1 - f_n * PIO2_1T;
    match (f_n as i32) & 3 {
        0 => kernel_cos_f32(y),
        1 => kernel_sin_f32(-y),
        2 => -kernel_cos_f32(y),
        _ => kernel_sin_f32(y),
    }
}

/// musl's `__cosf` on [-pi/4, pi/4] (computed in f64).
fn kernel_cos_f32(x: f64) -> f32 {
    const C0: f64 = -0.499_999_997_251_031_003_120;
    const C1: f64 = 0.041_666_623_323_739_063_189_4;
    const C2: f64 = -0.001_388_676_377_460_992_946_92;
    const C3: f64 = 0.000_024_390_448_796_277_409_065_4;
    let z = x * x;
    let w = z * z;
    let r = C2 + z * C3;
    (((1.0 + z * C0) + w * C1) + (w * z) * r) as f32
}

/// musl's `__sinf` on [-pi/4, pi/4] (computed in f64).
fn kernel_sin_f32(x: f64) -> f32 {
    const S1: f64 = -0.166_666_666_416_265_235_595;
    const S2: f64 = 0.008_333_329_385_889_463_175_6;
    const S3: f64 = -0.000_198_393_348_360_966_317_347;
    const S4: f64 = 0.000_002_718_311_493_989_821_906_4;
    let z = x * x;
    let w = z * z;
    let r = S3 + z * S4;
    let s = z * x;
    ((x + s * (S1 + z * S2)) + s * w * r) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn cos_agrees_with_the_platform() {
        let mut rng = Rng::new(3);
        let mut worst = 0f64;
        for i in 0..200_000 {
            let x = match i % 4 {
                0 => std::f64::consts::TAU * rng.next_f64(),
                1 => (rng.next_f64() - 0.5) * 20.0,
                2 => (rng.next_f64() - 0.5) * 2e6,
                _ => (i as f64) * FRAC_PI_2 * (1.0 + 1e-16 * rng.next_f64()),
            };
            let (ours, std) = (cos(x), x.cos());
            worst = worst.max((ours - std).abs());
            let xf = x as f32;
            assert!((cos_f32(xf) - xf.cos()).abs() <= 2.0 * f32::EPSILON, "{xf}");
        }
        // musl against glibc: both within an ulp of the true cosine.
        assert!(worst <= 2.0 * f64::EPSILON, "{worst:e}");
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(cos(x).is_nan());
            assert!(cos_f32(x as f32).is_nan());
        }
        assert_eq!(cos(0.0), 1.0);
        assert_eq!(cos_f32(-0.0), 1.0);
    }
}
