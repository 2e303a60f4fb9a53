//! Floating-point numbers shown exactly as `{}` and `{:.N}` show them, without
//! the standard library's float formatting in the WebAssembly.
//!
//! Why: `core`'s float formatting (Grisu with a Dragon4 fallback, shortest and
//! exact modes) is about 20 KB of WebAssembly, pulled in by any `{}` of an
//! `f32`/`f64` on the browser's path — error messages, reasons, `Debug`. Here:
//!
//! - [`Num`] / [`Num32`]: the shortest digits that read back as the same
//!   `f64` / `f32`, laid out as `Display` lays them out (no exponent: `1e-7` is
//!   `0.0000001`; `NaN`, `inf`, `-inf`, `-0`). In the browser the digits come
//!   from JavaScript's `Number.prototype.toPrecision`: the first precision whose
//!   (correctly rounded, ties up as in `core`) digits read back as the same
//!   number; natively from `{:e}`.
//! - [`Fixed`]: `{:.N}`, computed exactly from the binary value with a small
//!   big-integer (round half to even, as `core` does), on every target.
//!
//! The outputs equal the standard library's (the tests compare them on many
//! values natively; `tests/web_fmtnum.rs` does so in the browser).
//!
//! ```
//! use localrec::fmtnum::{Fixed, Num, Num32};
//! assert_eq!(Num(0.1).to_string(), "0.1");
//! assert_eq!(Num(1e-7).to_string(), "0.0000001");
//! assert_eq!(Num(f64::NAN).to_string(), "NaN");
//! assert_eq!(Num32(0.1).to_string(), "0.1");
//! assert_eq!(Fixed(4.25, 1).to_string(), "4.2");
//! assert_eq!(Fixed(-0.04, 1).to_string(), "-0.0");
//! ```

use std::fmt::{self, Write};

/// An `f64` shown as `{}` shows it (with a precision, `{:.N}`, as [`Fixed`]).
#[derive(Clone, Copy, PartialEq)]
pub struct Num(pub f64);

/// An `f32` shown as `{}` shows it (the shortest digits that read back as the same `f32`).
#[derive(Clone, Copy, PartialEq)]
pub struct Num32(pub f32);

/// An `f64` with a fixed number of decimals, as `{:.N}` shows it (exact, ties to even).
#[derive(Clone, Copy, PartialEq)]
pub struct Fixed(pub f64, pub usize);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(decimals) => pad(f, &fixed(self.0, decimals)),
            None => pad(f, &shortest(self.0, false)),
        }
    }
}

impl fmt::Display for Num32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(decimals) => pad(f, &fixed(self.0 as f64, decimals)),
            None => pad(f, &shortest(self.0 as f64, true)),
        }
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        pad(f, &fixed(self.0, self.1))
    }
}

/// Writes `s` within the formatter's width (fill and alignment; numbers align right by
/// default). Unlike `Formatter::pad`, a precision does not cut the text: it chose the decimals.
fn pad(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let len = s.chars().count();
    let Some(extra) = f.width().and_then(|w| w.checked_sub(len)) else {
        return f.write_str(s);
    };
    let (before, after) = match f.align() {
        Some(fmt::Alignment::Left) => (0, extra),
        Some(fmt::Alignment::Center) => (extra / 2, extra - extra / 2),
        _ => (extra, 0),
    };
    let fill = f.fill();
    for _ in 0..before {
        f.write_char(fill)?;
    }
    f.write_str(s)?;
    for _ in 0..after {
        f.write_char(fill)?;
    }
    Ok(())
}

impl fmt::Debug for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for Num32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `NaN`, `inf`, `-inf` as `core` writes them, or `None` for a finite value.
fn non_finite(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v.is_infinite() {
        Some(if v > 0.0 { "inf" } else { "-inf" })
    } else {
        None
    }
}

/// `{}` of `v` (of `v as f32` when `single`: `v` must then hold an `f32`).
fn shortest(v: f64, single: bool) -> String {
    if let Some(s) = non_finite(v) {
        return s.to_string();
    }
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    if v == 0.0 {
        out.push('0');
        return out;
    }
    let (digits, point) = decimal_parts(&shortest_text(v.abs(), single));
    layout(&mut out, &digits, point);
    out
}

/// The shortest round-trip digits of a finite positive `v`, in any of the forms
/// `123.45`, `0.00012`, `1.2345e-7`, `1e+21` (parsed by [`decimal_parts`]).
#[cfg(not(target_arch = "wasm32"))]
fn shortest_text(v: f64, single: bool) -> String {
    if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    }
}

/// The shortest round-trip digits of a finite positive `v`, from JavaScript: the first
/// `Number.prototype.toPrecision(p)` (the closest `p`-digit decimal, a tie rounded up as
/// `core` rounds it; `toString` would round a tie to even) that reads back as the same
/// `f64` (as the same `f32` when `single`).
#[cfg(target_arch = "wasm32")]
fn shortest_text(v: f64, single: bool) -> String {
    let n = js_sys::Number::from(v);
    for p in 1..=17u8 {
        if let Ok(s) = n.to_precision(p) {
            let s = String::from(s);
            let back = js_sys::Number::parse_float(&s);
            if back == v || (single && back as f32 == v as f32) {
                return s;
            }
        }
    }
    n.to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// Splits a decimal text (`[digits][.digits][e[+-]digits]`) into its significant
/// digits (no leading or trailing zeros) and the position of the decimal point
/// relative to the first of them: the value is `0.<digits> × 10^point`.
fn decimal_parts(text: &str) -> (Vec<u8>, i32) {
    let mut digits = Vec::new();
    let (mut point, mut exponent, mut exponent_sign) = (0i32, 0i32, 1i32);
    let (mut in_fraction, mut in_exponent) = (false, false);
    for b in text.bytes() {
        match b {
            b'e' | b'E' => in_exponent = true,
            b'-' if in_exponent => exponent_sign = -1,
            b'0'..=b'9' if in_exponent => {
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add((b - b'0') as i32)
            }
            b'.' => in_fraction = true,
            b'0' if digits.is_empty() => point -= in_fraction as i32,
            b'0'..=b'9' => {
                digits.push(b);
                point += !in_fraction as i32;
            }
            _ => {}
        }
    }
    // Integer digits after the first significant one count too (zeros included).
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, point.saturating_add(exponent_sign * exponent))
}

/// Appends `0.<digits> × 10^point` written out without an exponent, as `core`'s `{}` does.
fn layout(out: &mut String, digits: &[u8], point: i32) {
    let zeros = |out: &mut String, n: i32| (0..n).for_each(|_| out.push('0'));
    let len = digits.len() as i32;
    if digits.is_empty() {
        out.push('0');
    } else if point <= 0 {
        out.push_str("0.");
        zeros(out, -point);
        digits.iter().for_each(|&d| out.push(d as char));
    } else {
        for (i, &d) in digits.iter().enumerate() {
            if i as i32 == point {
                out.push('.');
            }
            out.push(d as char);
        }
        zeros(out, point - len);
    }
}

/// `{:.decimals}` of `v`: the exact binary value rounded half to even.
///
/// Every finite `f64` is `mantissa × 2^exp`, which has a finite decimal expansion:
/// `mantissa` times 2^exp, or (negative `exp`) times 5^-exp
/// with as many digits after the point (2⁻¹ = 5 / 10). Rounding that exact expansion
/// to `decimals` digits needs no division: a digit vector does it all (and is a
/// third of the WebAssembly of a base-2³² big integer with shifts and a conversion).
fn fixed(v: f64, decimals: usize) -> String {
    if let Some(s) = non_finite(v) {
        return s.to_string();
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mut mantissa, exp) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    // The exact decimal digits, least significant first; `below_point` of them after the point.
    let mut digits: Vec<u8> = Vec::new();
    while mantissa > 0 {
        digits.push((mantissa % 10) as u8);
        mantissa /= 10;
    }
    let (by, below_point) = if exp >= 0 {
        (2u32, 0)
    } else {
        (5, exp.unsigned_abs() as usize)
    };
    // By up to 5¹¹ (< 2³²/10) at a time.
    let mut left = exp.unsigned_abs();
    while left > 0 {
        let step = left.min(11);
        left -= step;
        let factor = by.pow(step);
        let mut carry = 0u32;
        for d in digits.iter_mut() {
            let p = *d as u32 * factor + carry;
            *d = (p % 10) as u8;
            carry = p / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    let digit = |digits: &[u8], i: usize| digits.get(i).copied().unwrap_or(0);
    // Keep `decimals` digits after the point: drop the others, rounding half to even.
    if below_point > decimals {
        let cut = below_point - decimals;
        let first_dropped = digit(&digits, cut - 1);
        let rest_dropped = digits.iter().take(cut - 1).any(|&d| d != 0);
        let odd = digit(&digits, cut) % 2 == 1;
        let up = first_dropped > 5 || (first_dropped == 5 && (rest_dropped || odd));
        digits.drain(..cut.min(digits.len()));
        if up {
            let mut i = 0;
            loop {
                match digits.get_mut(i) {
                    Some(9) => digits[i] = 0,
                    Some(d) => {
                        *d += 1;
                        break;
                    }
                    None => {
                        digits.push(1);
                        break;
                    }
                }
                i += 1;
            }
        }
    } else {
        digits.splice(0..0, std::iter::repeat_n(0, decimals - below_point));
    }
    // `digits` is now round(|v| × 10^decimals): at least one digit before the point.
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    for i in (0..digits.len().max(decimals + 1)).rev() {
        out.push((b'0' + digit(&digits, i)) as char);
        if i == decimals && decimals > 0 {
            out.push('.');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Values worth checking: specials, boundaries, decimals, random bit patterns.
    fn samples() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.25,
            0.35,
            2.5,
            0.125,
            4.25,
            1e21,
            1e-7,
            123456789012345680000.0,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            1.5,
            1e15,
            1e16,
            9007199254740993.0,
            0.3,
            2.0 / 3.0,
            1e300,
            1e-300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut rng = Rng::new(7);
        for _ in 0..3000 {
            let x = f64::from_bits(rng.next_u64());
            if x.is_finite() {
                v.push(x);
            }
            // Values of everyday size, with few and many digits.
            let y = (rng.next_f64() - 0.5) * 10f64.powi(rng.below(12) as i32 - 4);
            v.push(y);
            v.push((y * 1000.0).round() / 1000.0);
        }
        v
    }

    #[test]
    fn shortest_equals_display() {
        for x in samples() {
            assert_eq!(Num(x).to_string(), format!("{x}"), "{x:e}");
            let s = x as f32;
            assert_eq!(Num32(s).to_string(), format!("{s}"), "{s:e}");
        }
    }

    #[test]
    fn fixed_equals_precision() {
        for x in samples() {
            for d in [0usize, 1, 2, 3, 4, 6, 9, 17, 25] {
                assert_eq!(Fixed(x, d).to_string(), format!("{x:.d$}"), "{x:e} .{d}");
            }
            let s = x as f32;
            assert_eq!(format!("{:.3}", Num32(s)), format!("{s:.3}"), "{s:e}");
        }
    }

    /// The browser's two `{:.N}`: "rated {:.1}" (a rating: any finite value
    /// not below 0, -0 included; in practice 0-5 with few decimals) and
    /// "held-out MRR {:.3}" (a mean of reciprocal ranks, in [0, 1]).
    #[test]
    fn fixed_equals_precision_on_ratings_and_mrrs() {
        let mut rng = Rng::new(11);
        let mut ratings: Vec<f64> = (0..=60_000).map(|k| k as f64 / 1000.0).collect();
        ratings.extend((0..=6_000).map(|k| k as f64 / 100.0 + 0.05));
        ratings.extend((0..20_000).map(|_| rng.next_f64() * 5.0));
        ratings.extend([-0.0, 1e300, f64::MAX, 5e-324, 0.05, 0.15, 4.45, 4.95]);
        for r in ratings {
            assert_eq!(format!("{:.1}", Num(r)), format!("{r:.1}"), "{r:e}");
        }
        let mut mrrs: Vec<f64> = (0..20_000).map(|_| rng.next_f64()).collect();
        for n in 1..=300usize {
            let sum: f64 = (0..n).map(|_| 1.0 / (1 + rng.below(50)) as f64).sum();
            mrrs.push(sum / n as f64);
            mrrs.push(n as f64 / 1000.0 + 0.0005);
        }
        for m in mrrs {
            assert_eq!(format!("{:.3}", Num(m)), format!("{m:.3}"), "{m:e}");
        }
    }

    #[test]
    fn width_is_honoured() {
        assert_eq!(format!("{:>6}|", Num(1.5)), "   1.5|");
        assert_eq!(format!("{:<6.2}|", Num(1.0)), "1.00  |");
    }

    #[test]
    fn decimal_parts_reads_every_form() {
        assert_eq!(decimal_parts("123.45"), (b"12345".to_vec(), 3));
        assert_eq!(decimal_parts("0.00012"), (b"12".to_vec(), -3));
        assert_eq!(decimal_parts("1.2345e-7"), (b"12345".to_vec(), -6));
        assert_eq!(decimal_parts("1e+21"), (b"1".to_vec(), 22));
        assert_eq!(decimal_parts("5e0"), (b"5".to_vec(), 1));
        assert_eq!(decimal_parts("100"), (b"1".to_vec(), 3));
    }
}
