//! Small bridges to the browser: JSON through the browser's own parser (no serde in the bundle), DOM building,
//! event listeners, timers, storage and fetch. Everything user-written reaches the page as text nodes.

use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element, EventTarget, Headers, RequestInit, Response, Window};

pub fn window() -> Window {
    web_sys::window().expect_throw("no window")
}

pub fn document() -> Document {
    window().document().expect_throw("no document")
}

/// `value[key]`, or `undefined`.
pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).as_string()
}

pub fn get_num(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap_or(0.0)
}

/// An object from key/value pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

pub fn stringify(value: &JsValue) -> String {
    JSON::stringify(value).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

pub fn parse(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::NULL)
}

pub fn opt(s: Option<&str>) -> JsValue {
    s.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// `english` in the visitor's language (the config's `strings`, keyed by the English), or as written.
pub fn t(config: &JsValue, english: &str) -> String {
    get_str(&get(config, "strings"), english).unwrap_or_else(|| english.into())
}

/// `template` with every `key` ("{name}") replaced by `value`, through the browser's split and join: Rust's
/// `str::replace` brings a substring searcher that costs kilobytes of the widget's budget.
pub fn fill(template: &str, key: &str, value: &str) -> String {
    js_sys::JsString::from(template).split(key).join(value).into()
}

/// A decimal string without the formatting machinery.
pub fn num(n: i64) -> String {
    if n == 0 {
        return "0".into();
    }
    let mut digits = Vec::new();
    let mut v = n.unsigned_abs();
    while v > 0 {
        digits.push(b'0' + (v % 10) as u8);
        v /= 10;
    }
    if n < 0 {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// A new element with a class.
pub fn el(tag: &str, class: &str) -> Element {
    let e = document().create_element(tag).expect_throw("element");
    if !class.is_empty() {
        e.set_class_name(class);
    }
    e
}

pub fn attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

/// Text as a text node: user-written content is never parsed as HTML.
pub fn text(e: &Element, value: &str) {
    e.set_text_content(Some(value));
}

pub fn add(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

pub fn on(target: &EventTarget, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    let c = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(event, c.as_ref().unchecked_ref());
    c.forget();
}

/// Runs `f` once after `ms`; returns the timer id for `cancel`.
pub fn after(ms: i32, f: impl FnOnce() + 'static) -> i32 {
    let c = Closure::once_into_js(f);
    window().set_timeout_with_callback_and_timeout_and_arguments_0(c.unchecked_ref(), ms).unwrap_or(0)
}

pub fn cancel(timer: i32) {
    window().clear_timeout_with_handle(timer);
}

pub fn now() -> f64 {
    js_sys::Date::now()
}

/// A random id for a client message: `w` + time + randomness, base 36.
pub fn random_id() -> String {
    let mut id = String::from("w");
    for part in [now(), js_sys::Math::random() * 1e15, js_sys::Math::random() * 1e15] {
        id.push_str(&js_sys::Number::from(part.floor()).to_string_with_radix(36).map(String::from).unwrap_or_default());
    }
    id
}

pub fn storage_get(key: &str) -> JsValue {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(key).ok().flatten())
        .map(|t| parse(&t))
        .unwrap_or(JsValue::NULL)
}

pub fn storage_set(key: &str, value: &JsValue) {
    if let Some(s) = window().local_storage().ok().flatten() {
        let _ = s.set_item(key, &stringify(value));
    }
}

/// A fetch: status and parsed JSON body (`null` when the body is not JSON).
pub async fn fetch_json(
    url: &str,
    method: &str,
    body: Option<&JsValue>,
    json_body: bool,
    bearer: Option<&str>,
) -> Result<(u16, JsValue), JsValue> {
    let init = RequestInit::new();
    init.set_method(method);
    let headers = Headers::new()?;
    if json_body {
        headers.set("content-type", "application/json")?;
    }
    if let Some(token) = bearer {
        let mut value = String::from("Bearer ");
        value.push_str(token);
        headers.set("authorization", &value)?;
    }
    init.set_headers(&headers);
    if let Some(b) = body {
        init.set_body(b);
    }
    let res: Response = JsFuture::from(window().fetch_with_str_and_init(url, &init)).await?.dyn_into()?;
    let status = res.status();
    let data = match res.json() {
        Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    Ok((status, data))
}

/// Fetches a file with the visitor's token and answers an object URL for it.
pub async fn fetch_object_url(url: &str, bearer: &str) -> Result<String, JsValue> {
    let init = RequestInit::new();
    let headers = Headers::new()?;
    let mut value = String::from("Bearer ");
    value.push_str(bearer);
    headers.set("authorization", &value)?;
    init.set_headers(&headers);
    let res: Response = JsFuture::from(window().fetch_with_str_and_init(url, &init)).await?.dyn_into()?;
    if !res.ok() {
        return Err(JsValue::from_str("download failed"));
    }
    let blob: web_sys::Blob = JsFuture::from(res.blob()?).await?.dyn_into()?;
    web_sys::Url::create_object_url_with_blob(&blob)
}

/// The error message of an API answer, or a fallback.
pub fn api_message(body: &JsValue, fallback: &str) -> String {
    get_str(body, "message").unwrap_or_else(|| fallback.into())
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_print_like_display() {
        for n in [0i64, 7, 10, 42, 1000, -3, i64::MAX, i64::MIN] {
            assert_eq!(num(n), n.to_string());
        }
    }
}
