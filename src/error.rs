//! The one error type of the crate.
//!
//! Every public function returns [`Result`]; nothing in the core panics on bad
//! input, because in the browser a panic kills the wasm instance and the
//! shopper's page with it. Messages name the field and the value at fault.

use std::fmt;

/// What went wrong, with enough detail for a storefront engineer to fix it.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// An argument or input field has a value that is not allowed.
    InvalidInput {
        field: String,
        value: String,
        reason: String,
    },
    /// Two arrays whose shapes must agree do not.
    Shape {
        what: String,
        expected: String,
        found: String,
    },
    /// Stored bytes (a model, fitted preprocessing, a snapshot) could not be decoded.
    Decode(String),
    /// Training could not go on (for example the loss became NaN).
    Training(String),
    /// The caller asked to stop; partial work was discarded or kept as documented.
    Cancelled,
    /// A file or storage operation failed.
    Io(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A bad value in a named field: `Error::invalid("k", 0, "must be at least 1")`.
    /// (Cold and out of line, as `shape` and `decode`, off the callers' fast paths. Each
    /// argument-type combination still gets its own copy, so the copy only borrows its
    /// arguments and hands them to one non-generic body: 14 copies of the whole body were
    /// 2.8 KB of the WebAssembly.)
    #[cold]
    #[inline(never)]
    pub fn invalid(field: impl AsRef<str>, value: impl ShowValue, reason: impl AsRef<str>) -> Self {
        Self::invalid_text(field.as_ref(), &value, reason.as_ref())
    }

    /// The non-generic body of [`Error::invalid`]: compiled once, not per argument type.
    #[cold]
    #[inline(never)]
    fn invalid_text(field: &str, value: &dyn ShowValue, reason: &str) -> Self {
        let mut value = value.show();
        // Values may be megabytes of attacker-chosen text: keep messages short.
        if value.chars().count() > 80 {
            value = value.chars().take(77).collect::<String>() + "...";
        }
        Error::InvalidInput {
            field: field.to_owned(),
            value,
            reason: reason.to_owned(),
        }
    }

    /// Two shapes that must agree.
    #[cold]
    #[inline(never)]
    pub fn shape(what: impl AsRef<str>, expected: impl ShowValue, found: impl ShowValue) -> Self {
        Self::shape_text(what.as_ref(), &expected, &found)
    }

    /// The non-generic body of [`Error::shape`].
    #[cold]
    #[inline(never)]
    fn shape_text(what: &str, expected: &dyn ShowValue, found: &dyn ShowValue) -> Self {
        Error::Shape {
            what: what.to_owned(),
            expected: expected.show(),
            found: found.show(),
        }
    }

    /// Undecodable bytes.
    #[cold]
    #[inline(never)]
    pub fn decode(msg: impl Into<String>) -> Self {
        Error::Decode(msg.into())
    }

    /// Undecodable bytes in a named part: the message is `"{what}: {problem}"`. (One copy of
    /// the formatting for the decoders' fixed problems, instead of a `format!` at each.)
    #[cold]
    #[inline(never)]
    pub fn decode_in(what: &str, problem: &str) -> Self {
        Error::Decode(format!("{what}: {problem}"))
    }
}

/// A value an error message can show: text, integers and floats (floats as `{}`
/// shows them, through [`crate::fmtnum`]: `core`'s float formatting is 20 KB of
/// WebAssembly). Anything else implements `Display`: wrap it in [`Shown`].
pub trait ShowValue {
    /// The value as the message shows it.
    fn show(&self) -> String;
}

/// Any `Display` value for [`Error::invalid`] (not for floats: they are
/// [`ShowValue`] themselves).
pub struct Shown<T: fmt::Display>(pub T);

impl<T: fmt::Display> ShowValue for Shown<T> {
    fn show(&self) -> String {
        self.0.to_string()
    }
}

macro_rules! show_with_display {
    ($($t:ty),*) => {$(
        impl ShowValue for $t {
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
/// Unsigned integers show as the `u64` of the same value (the same text): one
/// integer-to-text copy in the WebAssembly instead of one per width.
macro_rules! show_as_u64 {
    ($($t:ty),*) => {$(
        impl ShowValue for $t {
            fn show(&self) -> String {
                (*self as u64).show()
            }
        }
    )*};
}
show_as_u64!(u8, u16, u32, usize);
show_with_display!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u64,
    u128,
    bool,
    char,
    str,
    String,
    ndarray::ShapeError
);

impl ShowValue for f64 {
    fn show(&self) -> String {
        crate::fmtnum::Num(*self).to_string()
    }
}

impl ShowValue for f32 {
    fn show(&self) -> String {
        crate::fmtnum::Num32(*self).to_string()
    }
}

impl<T: ShowValue + ?Sized> ShowValue for &T {
    fn show(&self) -> String {
        (**self).show()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput {
                field,
                value,
                reason,
            } => write!(f, "invalid {field} = {value}: {reason}"),
            Error::Shape {
                what,
                expected,
                found,
            } => write!(
                f,
                "shape mismatch in {what}: expected {expected}, found {found}"
            ),
            Error::Decode(m) => write!(f, "cannot decode: {m}"),
            Error::Training(m) => write!(f, "training failed: {m}"),
            Error::Cancelled => write!(f, "cancelled"),
            Error::Io(m) => write!(f, "i/o error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

/// Fails with a named error unless `value` is finite.
pub fn check_finite(field: &str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid(field, value, "must be a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_field_and_value() {
        let e = Error::invalid("k", 0, "must be at least 1");
        assert_eq!(e.to_string(), "invalid k = 0: must be at least 1");
        let long = "x".repeat(1000);
        let msg = Error::invalid("title", &long, "too long").to_string();
        assert!(msg.len() < 150, "{msg}");
    }

    #[test]
    fn floats_show_as_display_does() {
        let e = Error::invalid("halfLifeDays", f64::NAN, "must be a finite number");
        assert_eq!(
            e.to_string(),
            "invalid halfLifeDays = NaN: must be a finite number"
        );
        assert_eq!(
            Error::invalid("p", 0.1f32, "r").to_string(),
            "invalid p = 0.1: r"
        );
        let small: &f64 = &1e-7;
        assert_eq!(
            Error::invalid("p", small, "r").to_string(),
            "invalid p = 0.0000001: r"
        );
        let s = Error::shape("x", 3, Shown(format_args!("{}x{}", 2, 4)));
        assert_eq!(s.to_string(), "shape mismatch in x: expected 3, found 2x4");
        let d = Error::decode_in("markov", "invalid weight");
        assert_eq!(
            d,
            Error::decode(format!("{}: {}", "markov", "invalid weight"))
        );
        assert_eq!(d.to_string(), "cannot decode: markov: invalid weight");
    }

    #[test]
    fn integers_show_as_display_does() {
        assert_eq!(u8::MAX.show(), u8::MAX.to_string());
        assert_eq!(u16::MAX.show(), u16::MAX.to_string());
        assert_eq!(u32::MAX.show(), u32::MAX.to_string());
        assert_eq!(usize::MAX.show(), usize::MAX.to_string());
        assert_eq!(0usize.show(), "0");
        assert_eq!(
            Error::invalid("k", 7u32, "r").to_string(),
            "invalid k = 7: r"
        );
    }

    #[test]
    fn non_finite_is_rejected() {
        assert!(check_finite("price", 1.5).is_ok());
        assert!(check_finite("price", f64::NAN).is_err());
        assert!(check_finite("price", f64::INFINITY).is_err());
    }
}
