//! Records between the core's serde form and JavaScript objects.
//!
//! The core's records (organizations, clients, invitations, events, previews, messages) cross
//! as plain JS objects: the JSON their serde derives give, with every key in camelCase
//! (`created_at` → `createdAt`) and every instant a `Date` (a key `at` or ending in `_at` whose
//! value is RFC 3339 text). Ids, codes, statuses and roles stay snake_case text
//! (`"invite_pending"`), so they compare with the string-literal unions of `index.d.ts`.
//!
//! Going in, [`from_js`] accepts what [`to_js`] gives and what `JSON.parse` of it gives: keys in
//! camelCase or snake_case, instants as `Date`s or RFC 3339 text (`toISOString()` works), and
//! `undefined` fields as absent. `Date`s in JavaScript count milliseconds, so an instant with a
//! finer fraction loses it on the way out.

use chrono::{DateTime, SecondsFormat, Utc};
use napi::bindgen_prelude::{JsObjectValue, Null, Object, ToNapiValue, Unknown};
use napi::{Env, JsValue, ValueType};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::errors::invalid_arg;

/// Objects and arrays nest at most this deep (records nest a few levels).
const MAX_DEPTH: u32 = 64;

/// `snake_case` as `camelCase`.
pub(crate) fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `camelCase` as `snake_case` (a snake_case key is unchanged).
pub(crate) fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a (snake_case) key names an instant.
fn is_instant_key(key: &str) -> bool {
    key == "at" || key.ends_with("_at")
}

/// The RFC 3339 text the core's serde writes for an instant.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Milliseconds since the epoch, as a JS `Date` holds them.
fn millis(at: DateTime<Utc>) -> f64 {
    // Instants within ±285,000 years are exact in an f64 of milliseconds.
    at.timestamp_millis() as f64
}

/// A record of the core as a JS value: camelCase keys, `Date` instants.
pub(crate) fn to_js<'e>(env: &'e Env, record: &impl Serialize) -> napi::Result<Unknown<'e>> {
    let value = serde_json::to_value(record)
        .map_err(|e| napi::Error::from_reason(format!("cannot convert a record: {e}")))?;
    value_to_js(env, &value, false, MAX_DEPTH)
}

fn value_to_js<'e>(
    env: &'e Env,
    value: &Value,
    instant: bool,
    depth: u32,
) -> napi::Result<Unknown<'e>> {
    if depth == 0 {
        return Err(napi::Error::from_reason("a record nests too deeply"));
    }
    match value {
        Value::Null => Null.into_unknown(env),
        Value::Bool(flag) => flag.into_unknown(env),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.into_unknown(env),
            (None, Some(x)) => x.into_unknown(env),
            _ => Null.into_unknown(env),
        },
        Value::String(text) => {
            if instant && let Ok(at) = DateTime::parse_from_rfc3339(text) {
                return Ok(env
                    .create_date(millis(at.with_timezone(&Utc)))?
                    .to_unknown());
            }
            text.as_str().into_unknown(env)
        }
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| value_to_js(env, item, instant, depth - 1))
                .collect::<napi::Result<Vec<_>>>()?;
            items.into_unknown(env)
        }
        Value::Object(map) => {
            let mut object = Object::new(env)?;
            for (key, item) in map {
                let item = value_to_js(env, item, is_instant_key(key), depth - 1)?;
                object.set_named_property(&camel(key), item)?;
            }
            Ok(object.to_unknown())
        }
    }
}

/// A record of the core from a JS value (see the module doc); a malformed one is a `TypeError`
/// naming `what`.
pub(crate) fn from_js<T: DeserializeOwned>(value: &Unknown<'_>, what: &str) -> napi::Result<T> {
    from_value(js_to_value(value, what)?, what)
}

/// A record of the core from JSON, naming `what` in the `TypeError` for a malformed one.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value, what: &str) -> napi::Result<T> {
    serde_json::from_value(value).map_err(|e| invalid_arg(format!("{what}: {e}")))
}

/// A JS value as JSON with snake_case keys and RFC 3339 instants.
pub(crate) fn js_to_value(value: &Unknown<'_>, what: &str) -> napi::Result<Value> {
    to_value(value, what, MAX_DEPTH)
}

/// A JS value as an object of JSON with snake_case keys, or a `TypeError`.
pub(crate) fn js_to_object(value: &Unknown<'_>, what: &str) -> napi::Result<Map<String, Value>> {
    match js_to_value(value, what)? {
        Value::Object(map) => Ok(map),
        _ => Err(invalid_arg(format!("{what}: expected an object"))),
    }
}

fn to_value(value: &Unknown<'_>, what: &str, depth: u32) -> napi::Result<Value> {
    if depth == 0 {
        return Err(invalid_arg(format!("{what}: nests too deeply")));
    }
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Ok(Value::Null),
        ValueType::Boolean => Ok(Value::Bool(value.coerce_to_bool()?)),
        ValueType::Number => {
            let x = value.coerce_to_number()?.get_double()?;
            number(x).ok_or_else(|| invalid_arg(format!("{what}: {x} is not a finite number")))
        }
        ValueType::String => Ok(Value::String(
            value.coerce_to_string()?.into_utf8()?.into_owned()?,
        )),
        ValueType::Object if value.is_date()? => {
            let ms = value.coerce_to_number()?.get_double()?;
            let at = date(ms).ok_or_else(|| invalid_arg(format!("{what}: an invalid Date")))?;
            Ok(Value::String(rfc3339(at)))
        }
        ValueType::Object if value.is_array()? => {
            let array = value.coerce_to_object()?;
            let len = array.get_array_length()?;
            (0..len)
                .map(|i| to_value(&array.get_element::<Unknown<'_>>(i)?, what, depth - 1))
                .collect()
        }
        ValueType::Object => {
            let object = value.coerce_to_object()?;
            let names = object.get_property_names()?;
            let mut map = Map::new();
            for i in 0..names.get_array_length()? {
                let name = names
                    .get_element::<Unknown<'_>>(i)?
                    .coerce_to_string()?
                    .into_utf8()?
                    .into_owned()?;
                let item = object.get_named_property::<Unknown<'_>>(&name)?;
                if item.get_type()? == ValueType::Undefined {
                    continue;
                }
                map.insert(snake(&name), to_value(&item, what, depth - 1)?);
            }
            Ok(Value::Object(map))
        }
        other => Err(invalid_arg(format!(
            "{what}: cannot take a value of type {other}"
        ))),
    }
}

/// A JS number as JSON: integers as integers.
fn number(x: f64) -> Option<Value> {
    if !x.is_finite() {
        return None;
    }
    // Integral values within 2^53 are exact integers.
    if x.fract() == 0.0 && x.abs() <= 9_007_199_254_740_992.0 {
        #[allow(clippy::cast_possible_truncation)]
        return Some(Value::Number(Number::from(x as i64)));
    }
    Number::from_f64(x).map(Value::Number)
}

/// The instant of a JS `Date`'s milliseconds (`None` for an invalid `Date`).
pub(crate) fn date(ms: f64) -> Option<DateTime<Utc>> {
    if !ms.is_finite() {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    DateTime::from_timestamp_millis(ms as i64)
}

#[cfg(test)]
mod tests {
    use super::{camel, number, snake};

    #[test]
    fn keys_change_case_both_ways() {
        for (snake_key, camel_key) in [
            ("created_at", "createdAt"),
            ("id", "id"),
            ("to_name", "toName"),
            ("duplicate_of_line", "duplicateOfLine"),
        ] {
            assert_eq!(camel(snake_key), camel_key);
            assert_eq!(snake(camel_key), snake_key);
            assert_eq!(snake(snake_key), snake_key);
        }
    }

    #[test]
    fn integral_numbers_stay_integers() {
        assert_eq!(number(14.0), Some(serde_json::json!(14)));
        assert_eq!(number(1.5), Some(serde_json::json!(1.5)));
        assert_eq!(number(f64::NAN), None);
    }
}
