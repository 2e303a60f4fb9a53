//! Conversions between JavaScript values and the core's types, with errors
//! that name the argument, the field and the value at fault.
//!
//! serde's own messages say what was expected ("invalid type: string "x",
//! expected usize") but not where; when a whole object fails, each of its
//! keys is tried alone (every option field is optional, so a one-key object
//! is a valid input on its own) to find the field to name.

use super::read::Fail;
use crate::fmtnum::Num;
use crate::quote::{quoted, Quoted};
use js_sys::{Array, ArrayBuffer, Object, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Largest byte blob accepted from JavaScript (models and event exports are far smaller).
pub const MAX_BLOB_BYTES: u32 = 256 * 1024 * 1024;

/// A short, safe description of any JS value for an error message.
pub fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        return "undefined".into();
    }
    if v.is_null() {
        return "null".into();
    }
    if let Some(n) = v.as_f64() {
        return Num(n).to_string();
    }
    if let Some(s) = v.as_string() {
        let short: String = s.chars().take(40).collect();
        return if s.chars().count() > 40 {
            format!("{}… ({} chars)", Quoted(&short), s.chars().count())
        } else {
            quoted(&short)
        };
    }
    if let Some(b) = v.as_bool() {
        return b.to_string();
    }
    if Array::is_array(v) {
        return format!("an array of {}", Array::from(v).length());
    }
    if v.is_bigint() {
        return "a bigint".into();
    }
    if v.is_function() {
        return "a function".into();
    }
    if v.is_symbol() {
        return "a symbol".into();
    }
    "an object".into()
}

fn invalid(field: &str, v: &JsValue, reason: impl std::fmt::Display) -> JsError {
    JsError::new(&format!("invalid {field} = {}: {reason}", describe(v)))
}

/// A reader of one JavaScript object ([`super::read`]).
pub type Reader<T> = fn(&JsValue) -> Result<T, Fail>;

/// Reads an options/config object; `undefined` or `null` give the defaults.
pub fn options<T: Default>(field: &str, v: JsValue, read: Reader<T>) -> Result<T, JsError> {
    if v.is_undefined() || v.is_null() {
        return Ok(T::default());
    }
    record(field, v, read)
}

/// Reads one object, naming the failing key when there is one.
pub fn record<T>(field: &str, v: JsValue, read: Reader<T>) -> Result<T, JsError> {
    if !v.is_object() || Array::is_array(&v) || v.is_function() {
        return Err(invalid(field, &v, "must be an object"));
    }
    match read(&v) {
        Ok(t) => Ok(t),
        Err(whole) => {
            let obj: &Object = v.unchecked_ref();
            for entry in Object::entries(obj).iter() {
                let pair = Array::from(&entry);
                let (key, value) = (pair.get(0), pair.get(1));
                let single = Object::new();
                if js_sys::Reflect::set(&single, &key, &value).is_err() {
                    continue;
                }
                if let Err(e) = read(&single.into()) {
                    let key = key.as_string().unwrap_or_default();
                    let key: String = key.chars().take(40).collect();
                    return Err(invalid(&format!("{field}.{key}"), &value, e));
                }
            }
            Err(invalid(field, &v, whole))
        }
    }
}

/// Reads an array of records of at most `max` elements.
pub fn records<T>(field: &str, v: JsValue, max: usize, read: Reader<T>) -> Result<Vec<T>, JsError> {
    if !Array::is_array(&v) {
        return Err(invalid(field, &v, "must be an array"));
    }
    let arr = Array::from(&v);
    let n = arr.length() as usize;
    if n > max {
        return Err(JsError::new(&format!(
            "invalid {field}.length = {n}: at most {max} entries per call"
        )));
    }
    let mut out = Vec::with_capacity(n);
    for (i, el) in arr.iter().enumerate() {
        out.push(record(&format!("{field}[{i}]"), el, read)?);
    }
    Ok(out)
}

/// Copies bytes from a `Uint8Array` or `ArrayBuffer` (anything else is an error).
pub fn bytes(field: &str, v: &JsValue) -> Result<Vec<u8>, JsError> {
    let arr = if let Some(a) = v.dyn_ref::<Uint8Array>() {
        a.clone()
    } else if let Some(b) = v.dyn_ref::<ArrayBuffer>() {
        Uint8Array::new(b)
    } else {
        return Err(invalid(field, v, "must be a Uint8Array or ArrayBuffer"));
    };
    if arr.length() > MAX_BLOB_BYTES {
        return Err(invalid(
            field,
            v,
            format!("{} bytes is more than {MAX_BLOB_BYTES}", arr.length()),
        ));
    }
    Ok(arr.to_vec())
}

/// A finite number (or `default` when undefined/null).
pub fn number(field: &str, v: &JsValue, default: impl FnOnce() -> f64) -> Result<f64, JsError> {
    if v.is_undefined() || v.is_null() {
        return Ok(default());
    }
    match v.as_f64() {
        Some(n) if n.is_finite() => Ok(n),
        _ => Err(invalid(field, v, "must be a finite number")),
    }
}

/// A string of at most `max` bytes.
pub fn string(field: &str, v: &JsValue, max: usize) -> Result<String, JsError> {
    match v.as_string() {
        Some(s) if s.len() <= max => Ok(s),
        Some(s) => Err(invalid(
            field,
            v,
            format!("{} bytes is longer than {max}", s.len()),
        )),
        None => Err(invalid(field, v, "must be a string")),
    }
}

/// Serializes a result for JavaScript (maps as plain objects; [`super::write`]). Not inlined:
/// one copy per result type, shared by the exports that return it (recommend and similar,
/// trainStart and trainChunk, track and trackMany).
#[inline(never)]
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    super::write::to_value(value)
        .map_err(|e| JsError::new(&format!("cannot convert the result for JavaScript: {e}")))
}

/// The current time in ms from `performance.now()` when there is one
/// (window and workers), else `Date.now()`.
pub fn clock_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok();
    if let Some(perf) = perf.filter(|p| p.is_object()) {
        if let Ok(now) = js_sys::Reflect::get(&perf, &JsValue::from_str("now")) {
            if let Some(f) = now.dyn_ref::<js_sys::Function>() {
                if let Some(t) = f.call0(&perf).ok().and_then(|t| t.as_f64()) {
                    return t;
                }
            }
        }
    }
    js_sys::Date::now()
}

/// Fails naming the first key of the object `v` that is not one of `known`
/// (the readers read only the declared fields, so unknown keys — typos — would
/// be ignored silently).
pub fn check_keys(field: &str, v: &JsValue, known: &[&str]) -> Result<(), JsError> {
    if !v.is_object() || Array::is_array(v) {
        return Ok(());
    }
    let obj: &Object = v.unchecked_ref();
    for key in Object::keys(obj).iter() {
        let k = key.as_string().unwrap_or_default();
        if !known.contains(&k.as_str()) {
            let shown: String = k.chars().take(40).collect();
            return Err(JsError::new(&format!(
                "invalid {field}: unknown field {} (known fields: {})",
                Quoted(&shown),
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// Checks the keys of `v.<key>` (a nested options object) against `known`.
pub fn check_nested(field: &str, v: &JsValue, key: &str, known: &[&str]) -> Result<(), JsError> {
    if !v.is_object() {
        return Ok(());
    }
    match js_sys::Reflect::get(v, &JsValue::from_str(key)) {
        Ok(inner) => check_keys(&format!("{field}.{key}"), &inner, known),
        Err(_) => Ok(()),
    }
}

/// Finds the field names of a serde struct (the readers of [`super::read`] list
/// them by hand; a test checks the lists against the serde types).
#[cfg(test)]
pub mod probe {
    use serde::de::{self, Visitor};

    /// The declared field names of a serde struct `T` (aliases included).
    pub fn field_names<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
        match T::deserialize(Probe) {
            Err(Found(Some(fields))) => fields,
            _ => &[],
        }
    }

    #[derive(Debug)]
    pub struct Found(pub Option<&'static [&'static str]>);

    impl std::fmt::Display for Found {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field probe")
        }
    }
    impl std::error::Error for Found {}
    impl de::Error for Found {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Found(None)
        }
    }

    pub struct Probe;

    impl<'de> de::Deserializer<'de> for Probe {
        type Error = Found;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(None))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(Some(fields)))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
}
