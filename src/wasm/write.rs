//! Results to JavaScript: a serde `Serializer` that builds the same JavaScript
//! values as serde-wasm-bindgen 0.6 with `serialize_maps_as_objects(true)`, without
//! its cache of field-name strings (a `HashMap` keyed by pointer: hashbrown in the
//! download) and its `Map`, preserved-value and bigint options, which the results
//! never used.
//!
//! What a result becomes, as before: structs and maps are plain objects (keys in
//! serialization order; `None` fields present with the value `undefined`, fields
//! with `skip_serializing_if` absent), sequences and tuples arrays, `bool` and
//! numbers up to 32 bits and floats numbers, `u64`/`i64`/`usize` numbers when
//! they are safe integers (else an error), `u128`/`i128` BigInts, strings and
//! chars strings, bytes a `Uint8Array` copy, `()`/`None` `undefined`, unit enum
//! variants their name, other variants `{ name: value }`. `tests/web_write.rs`
//! compares every result type with serde-wasm-bindgen's output in Firefox.

use js_sys::{Array, JsString, Object, Uint8Array};
use serde::ser::{self, Serialize};
use std::fmt;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// An object written with `object[key] = value` (what serde-wasm-bindgen does).
    #[wasm_bindgen(extends = Object)]
    type Target;

    #[wasm_bindgen(method, indexing_setter)]
    fn set(this: &Target, key: JsString, value: JsValue);
}

/// Why a value could not be converted.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteError(String);

/// Shown as serde-wasm-bindgen's error was (`String(new Error(message))`), so the
/// message `to_js` throws is unchanged.
impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Error: ")?;
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

impl ser::Error for WriteError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        WriteError(msg.to_string())
    }
}

type Written = Result<JsValue, WriteError>;

/// `value` as a JavaScript value (see the module documentation).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Written {
    value.serialize(Writer)
}

/// The serializer (no options).
#[derive(Clone, Copy)]
pub struct Writer;

/// The largest integer a JavaScript number holds exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn unsafe_integer(v: impl fmt::Display) -> WriteError {
    WriteError(format!("{v} can't be represented as a JavaScript number"))
}

/// `{ variant: value }`.
fn tagged(variant: &'static str, value: JsValue) -> JsValue {
    let obj: Target = Object::new().unchecked_into();
    obj.set(JsString::from(variant), value);
    obj.into()
}

/// Arrays: elements set by index.
pub struct ArrayWriter {
    target: Array,
    next: u32,
}

impl ArrayWriter {
    fn new() -> Self {
        ArrayWriter {
            target: Array::new(),
            next: 0,
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.target.set(self.next, value.serialize(Writer)?);
        self.next += 1;
        Ok(())
    }
}

/// Objects from structs (static keys) and maps (string keys only).
pub struct ObjectWriter {
    target: Target,
    key: Option<JsString>,
}

impl ObjectWriter {
    fn new() -> Self {
        ObjectWriter {
            target: Object::new().unchecked_into(),
            key: None,
        }
    }
}

/// An enum variant with data: its inner writer, wrapped as `{ variant: … }` at the end.
pub struct VariantWriter<W> {
    variant: &'static str,
    inner: W,
}

impl ser::SerializeSeq for ArrayWriter {
    type Ok = JsValue;
    type Error = WriteError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.push(value)
    }
    fn end(self) -> Written {
        Ok(self.target.into())
    }
}

impl ser::SerializeTuple for ArrayWriter {
    type Ok = JsValue;
    type Error = WriteError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.push(value)
    }
    fn end(self) -> Written {
        Ok(self.target.into())
    }
}

impl ser::SerializeTupleStruct for ArrayWriter {
    type Ok = JsValue;
    type Error = WriteError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.push(value)
    }
    fn end(self) -> Written {
        Ok(self.target.into())
    }
}

impl ser::SerializeTupleVariant for VariantWriter<ArrayWriter> {
    type Ok = JsValue;
    type Error = WriteError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        self.inner.push(value)
    }
    fn end(self) -> Written {
        Ok(tagged(self.variant, self.inner.target.into()))
    }
}

impl ser::SerializeMap for ObjectWriter {
    type Ok = JsValue;
    type Error = WriteError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), WriteError> {
        let key = key.serialize(Writer)?;
        let key = key.dyn_into::<JsString>().map_err(|_| {
            WriteError("Map key is not a string and cannot be an object key".into())
        })?;
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), WriteError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| WriteError("a map value without its key".into()))?;
        self.target.set(key, value.serialize(Writer)?);
        Ok(())
    }
    fn end(self) -> Written {
        Ok(self.target.into())
    }
}

impl ser::SerializeStruct for ObjectWriter {
    type Ok = JsValue;
    type Error = WriteError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        let value = value.serialize(Writer)?;
        self.target.set(JsString::from(key), value);
        Ok(())
    }
    fn end(self) -> Written {
        Ok(self.target.into())
    }
}

impl ser::SerializeStructVariant for VariantWriter<ObjectWriter> {
    type Ok = JsValue;
    type Error = WriteError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), WriteError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }
    fn end(self) -> Written {
        Ok(tagged(self.variant, self.inner.target.into()))
    }
}

impl ser::Serializer for Writer {
    type Ok = JsValue;
    type Error = WriteError;
    type SerializeSeq = ArrayWriter;
    type SerializeTuple = ArrayWriter;
    type SerializeTupleStruct = ArrayWriter;
    type SerializeTupleVariant = VariantWriter<ArrayWriter>;
    type SerializeMap = ObjectWriter;
    type SerializeStruct = ObjectWriter;
    type SerializeStructVariant = VariantWriter<ObjectWriter>;

    fn serialize_bool(self, v: bool) -> Written {
        Ok(v.into())
    }
    fn serialize_i8(self, v: i8) -> Written {
        Ok(v.into())
    }
    fn serialize_i16(self, v: i16) -> Written {
        Ok(v.into())
    }
    fn serialize_i32(self, v: i32) -> Written {
        Ok(v.into())
    }
    fn serialize_i64(self, v: i64) -> Written {
        if v.unsigned_abs() <= MAX_SAFE_INTEGER {
            Ok((v as f64).into())
        } else {
            Err(unsafe_integer(v))
        }
    }
    fn serialize_u8(self, v: u8) -> Written {
        Ok(v.into())
    }
    fn serialize_u16(self, v: u16) -> Written {
        Ok(v.into())
    }
    fn serialize_u32(self, v: u32) -> Written {
        Ok(v.into())
    }
    fn serialize_u64(self, v: u64) -> Written {
        if v <= MAX_SAFE_INTEGER {
            Ok((v as f64).into())
        } else {
            Err(unsafe_integer(v))
        }
    }
    fn serialize_i128(self, v: i128) -> Written {
        Ok(v.into())
    }
    fn serialize_u128(self, v: u128) -> Written {
        Ok(v.into())
    }
    fn serialize_f32(self, v: f32) -> Written {
        Ok(v.into())
    }
    fn serialize_f64(self, v: f64) -> Written {
        Ok(v.into())
    }
    fn serialize_char(self, v: char) -> Written {
        Ok(JsString::from(v).into())
    }
    fn serialize_str(self, v: &str) -> Written {
        Ok(v.into())
    }
    fn serialize_bytes(self, v: &[u8]) -> Written {
        Ok(Uint8Array::from(v).into())
    }
    fn serialize_none(self) -> Written {
        Ok(JsValue::UNDEFINED)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Written {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Written {
        Ok(JsValue::UNDEFINED)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Written {
        Ok(JsValue::UNDEFINED)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Written {
        Ok(JsString::from(variant).into())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Written {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Written {
        Ok(tagged(variant, value.serialize(self)?))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<ArrayWriter, WriteError> {
        Ok(ArrayWriter::new())
    }
    fn serialize_tuple(self, _len: usize) -> Result<ArrayWriter, WriteError> {
        Ok(ArrayWriter::new())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ArrayWriter, WriteError> {
        Ok(ArrayWriter::new())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantWriter<ArrayWriter>, WriteError> {
        Ok(VariantWriter {
            variant,
            inner: ArrayWriter::new(),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<ObjectWriter, WriteError> {
        Ok(ObjectWriter::new())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ObjectWriter, WriteError> {
        Ok(ObjectWriter::new())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantWriter<ObjectWriter>, WriteError> {
        Ok(VariantWriter {
            variant,
            inner: ObjectWriter::new(),
        })
    }
}
