//! How replies and errors are printed, and the exit codes.
//!
//! Text: `OK`; `(nil)` for an absent value, `(not found)` for a command on
//! an absent key, `(empty)` for an empty list; numbers bare; plain values in
//! double quotes with escapes (`"a\x00b"`), so that numbers and strings
//! differ and anything printed can be typed back into the shell; one
//! key/value pair (`key value`) or key a line. `--raw` prints value bytes
//! as they are. `--json`: one JSON value per reply.

use std::io::{self, Write};

use bytes::Bytes;
use gibson_proto::Value;
use serde_json::json;

/// What a command's typed result prints as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Output {
    /// Success without data (also a boolean `true`).
    Ok,
    /// A command on an absent key (a boolean `false`).
    NotFound,
    /// An absent value.
    Nil,
    /// One value.
    Value(Value),
    /// A number.
    Int(i64),
    /// A count (0 also when nothing matched).
    Count(u64),
    /// Key/value pairs.
    Pairs(Vec<(Bytes, Value)>),
    /// Key names.
    Keys(Vec<Bytes>),
}

/// How replies are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Quoted, escaped values.
    Text,
    /// Values as raw bytes.
    Raw,
    /// One JSON value per reply.
    Json,
}

/// Escapes bytes for a terminal: valid UTF-8 stays readable, control
/// characters, `"`, `\` and invalid bytes are escaped (`\n`, `\x00`, …).
pub(crate) fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn write_value(out: &mut Vec<u8>, v: &Value, format: Format) {
    match (v, format) {
        (Value::Int(n), _) => out.extend_from_slice(n.to_string().as_bytes()),
        (Value::Bytes(b), Format::Raw) => out.extend_from_slice(b),
        (Value::Bytes(b), _) => out.extend_from_slice(format!("\"{}\"", escape(b)).as_bytes()),
    }
}

fn write_key(out: &mut Vec<u8>, k: &[u8], format: Format) {
    match format {
        Format::Raw => out.extend_from_slice(k),
        _ => out.extend_from_slice(escape(k).as_bytes()),
    }
}

/// The text (or raw) rendering of `o`, ending in a newline.
pub(crate) fn render_text(o: &Output, format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    match o {
        Output::Ok => out.extend_from_slice(b"OK"),
        Output::NotFound => out.extend_from_slice(b"(not found)"),
        Output::Nil => out.extend_from_slice(b"(nil)"),
        Output::Value(v) => write_value(&mut out, v, format),
        Output::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Output::Count(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Output::Pairs(p) if p.is_empty() => out.extend_from_slice(b"(empty)"),
        Output::Keys(k) if k.is_empty() => out.extend_from_slice(b"(empty)"),
        Output::Pairs(pairs) => {
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                write_key(&mut out, k, format);
                out.push(b' ');
                write_value(&mut out, v, format);
            }
        }
        Output::Keys(keys) => {
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(b'\n');
                }
                write_key(&mut out, k, format);
            }
        }
    }
    out.push(b'\n');
    out
}

/// Bytes as JSON: a string when UTF-8, else `{"hex": "…"}`.
pub(crate) fn json_bytes(b: &[u8]) -> serde_json::Value {
    match std::str::from_utf8(b) {
        Ok(s) => json!(s),
        Err(_) => {
            let hex: String = b.iter().map(|b| format!("{b:02x}")).collect();
            json!({ "hex": hex })
        }
    }
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(n) => json!(n),
        Value::Bytes(b) => json_bytes(b),
    }
}

/// The JSON rendering of `o`: `"OK"`, `null` for absence, numbers,
/// strings (`{"hex": "…"}` for bytes that are not UTF-8), an object for
/// pairs (in the server's order; a key that is not UTF-8 appears escaped),
/// an array for keys.
pub(crate) fn render_json(o: &Output) -> serde_json::Value {
    match o {
        Output::Ok => json!("OK"),
        Output::NotFound | Output::Nil => serde_json::Value::Null,
        Output::Value(v) => json_value(v),
        Output::Int(n) => json!(n),
        Output::Count(n) => json!(n),
        Output::Pairs(pairs) => {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .iter()
                .map(|(k, v)| {
                    let key = match std::str::from_utf8(k) {
                        Ok(s) => s.to_string(),
                        Err(_) => escape(k),
                    };
                    (key, json_value(v))
                })
                .collect();
            serde_json::Value::Object(map)
        }
        Output::Keys(keys) => keys.iter().map(|k| json_bytes(k)).collect(),
    }
}

/// Prints `o` to stdout in `format`.
pub(crate) fn print(o: &Output, format: Format) -> io::Result<()> {
    let bytes = match format {
        Format::Json => {
            let mut s = render_json(o).to_string();
            s.push('\n');
            s.into_bytes()
        }
        _ => render_text(o, format),
    };
    let mut stdout = io::stdout().lock();
    stdout.write_all(&bytes)?;
    stdout.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape(b"plain text"), "plain text");
        assert_eq!(escape(b"a\0b\xff\"\\\n"), "a\\x00b\\xff\\\"\\\\\\n");
        assert_eq!(escape("héllo".as_bytes()), "héllo");
    }

    #[test]
    fn text_and_json() {
        let pairs = Output::Pairs(vec![
            (Bytes::from_static(b"p:a"), Value::from("x y")),
            (Bytes::from_static(b"p:n"), Value::Int(3)),
        ]);
        assert_eq!(render_text(&pairs, Format::Text), b"p:a \"x y\"\np:n 3\n");
        assert_eq!(render_text(&pairs, Format::Raw), b"p:a x y\np:n 3\n");
        assert_eq!(render_json(&pairs).to_string(), r#"{"p:a":"x y","p:n":3}"#);
        let bin = Output::Value(Value::Bytes(Bytes::from_static(b"\x00\xff")));
        assert_eq!(render_text(&bin, Format::Text), b"\"\\x00\\xff\"\n");
        assert_eq!(render_json(&bin).to_string(), r#"{"hex":"00ff"}"#);
        assert_eq!(
            render_text(&Output::Keys(vec![]), Format::Text),
            b"(empty)\n"
        );
        assert_eq!(render_json(&Output::Nil).to_string(), "null");
    }
}
