//! What the webhook targets share: the invariants of every parsed event, and mutators that
//! know the bodies' formats.
//!
//! A target's input is always the request body, bytes and all. libFuzzer's byte
//! mutations rarely turn a provider's payload into another valid one (an id that is `""`
//! or a number, a timestamp past `i64`, a list item gone), so half of the mutations
//! parse the body and change it as a document instead: a value, key, list item or form
//! parameter replaced, removed or repeated, with the provider's own words and values on
//! the parsers' edges. The other half, and every body that does not parse, get libFuzzer's
//! byte mutations.
#![allow(dead_code)] // Each target uses its part.

use confab::channels::inbound::twilio::form_params;
use confab::channels::inbound::InboundEvent;
use serde_json::{Map, Value};

/// A stored message or status can always be found again: it has the ids the store keys on.
pub fn check_event(event: &InboundEvent) {
    match event {
        InboundEvent::Message(m) => {
            assert!(!m.contact_external_id.is_empty(), "{m:?}");
            assert!(!m.provider_id.is_empty(), "{m:?}");
            // A text has words or files; the other kinds are lines whose kind says what
            // happened (a reaction taken back, an unsupported message without a reason
            // have no body).
            assert!(
                m.kind != app::messages::MessageKind::Text
                    || !m.body.is_empty()
                    || !m.attachments.is_empty(),
                "{m:?}"
            );
        }
        InboundEvent::Status(s) => assert!(!s.provider_id.is_empty(), "{s:?}"),
        InboundEvent::DeliveredUpTo {
            contact_external_id,
            ..
        }
        | InboundEvent::ReadUpTo {
            contact_external_id,
            ..
        } => assert!(!contact_external_id.is_empty()),
        InboundEvent::ReadMessage {
            contact_external_id,
            provider_id,
        } => assert!(!contact_external_id.is_empty() && !provider_id.is_empty()),
        InboundEvent::Ignored(_) => {}
    }
}

/// Strings on the parsers' edges, beside each provider's own words.
const EDGE_WORDS: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1749416383",
    "9223372036854775",
    "9223372036854776",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999",
    "16505551234",
    "+16505551234",
    "confab:1",
    "confab:1.1700000000000",
    "https://example.com/a.jpg",
    "image/jpeg",
    "\u{0}",
    "é",
];

/// Numbers on the edges: i64 and its overflow when multiplied by 1000 (seconds to ms).
const EDGE_INTS: &[i64] = &[
    0,
    1,
    -1,
    1_749_416_383,
    1_458_692_752_478,
    9_223_372_036_854_775,
    9_223_372_036_854_776,
    -9_223_372_036_854_776,
    i64::MAX,
    i64::MIN,
];

/// splitmix64, seeded by libFuzzer: the same seed mutates the same way.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }

    fn word(&mut self, words: &[&str]) -> String {
        match self.below(3) {
            0 => self.pick(EDGE_WORDS).to_owned(),
            _ => self.pick(words).to_owned(),
        }
    }
}

/// Copies `out` into libFuzzer's buffer, or mutates the bytes when it does not fit.
fn emit(out: &[u8], data: &mut [u8], size: usize, max_size: usize) -> usize {
    if out.len() <= max_size {
        data[..out.len()].copy_from_slice(out);
        out.len()
    } else {
        libfuzzer_sys::fuzzer_mutate(data, size, max_size)
    }
}

/// A mutation of a JSON body (for `libfuzzer_sys::fuzz_mutator!`), `words` being the
/// provider's keys and values.
pub fn mutate_json(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    words: &[&str],
) -> usize {
    let mut rng = Rng(u64::from(seed));
    let document = (rng.below(2) == 0)
        .then(|| serde_json::from_slice::<Value>(&data[..size]).ok())
        .flatten();
    let Some(mut document) = document else {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    };
    for _ in 0..=rng.below(3) {
        mutate_value(&mut document, &mut rng, words);
    }
    let out = serde_json::to_vec(&document).expect("a Value serialises");
    emit(&out, data, size, max_size)
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node of `value`, as the steps from the root (the root is the empty path).
fn paths(value: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(path.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                paths(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Index(index));
                paths(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(mut value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    for step in path {
        value = match step {
            Step::Key(key) => value.get_mut(key.as_str())?,
            Step::Index(index) => value.get_mut(*index)?,
        };
    }
    Some(value)
}

fn scalar(rng: &mut Rng, words: &[&str]) -> Value {
    match rng.below(7) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::from(EDGE_INTS[rng.below(EDGE_INTS.len())]),
        3 => Value::from(rng.next() as i64),
        4 => Value::from(f64::from_bits(rng.next())), // NaN and infinities: null
        _ => Value::String(rng.word(words)),
    }
}

fn mutate_value(document: &mut Value, rng: &mut Rng, words: &[&str]) {
    let mut all = Vec::new();
    paths(document, &mut Vec::new(), &mut all);
    let path = all.swap_remove(rng.below(all.len()));
    let op = rng.below(6);
    // Operations on the node's place in its parent: remove, repeat, rename.
    if let (1..=3, Some((last, parent_path))) = (op, path.split_last()) {
        let Some(parent) = node_mut(document, parent_path) else {
            return;
        };
        match (op, parent, last) {
            (1, Value::Object(map), Step::Key(key)) => {
                map.remove(key);
            }
            (1, Value::Array(items), Step::Index(index)) => {
                items.remove(*index);
            }
            (2, Value::Object(map), Step::Key(key)) => {
                let copy = map[key].clone();
                map.insert(rng.word(words), copy);
            }
            (2, Value::Array(items), Step::Index(index)) => {
                let copy = items[*index].clone();
                items.insert(*index, copy);
            }
            (3, Value::Object(map), Step::Key(key)) => {
                if let Some(child) = map.remove(key) {
                    map.insert(rng.word(words), child);
                }
            }
            _ => {}
        }
        return;
    }
    let Some(node) = node_mut(document, &path) else {
        return;
    };
    match (op, node) {
        // Add a member or an item.
        (4, Value::Object(map)) => {
            map.insert(rng.word(words), scalar(rng, words));
        }
        (4, Value::Array(items)) => {
            let item = match items.first() {
                Some(first) if rng.below(2) == 0 => first.clone(),
                _ => scalar(rng, words),
            };
            items.push(item);
        }
        // The same value as another type: "123" ↔ 123, x → [x] or {"word": x}.
        (5, node @ Value::String(_)) => {
            let parsed = node.as_str().and_then(|s| s.parse::<i64>().ok());
            *node = parsed.map_or_else(|| Value::Array(vec![node.take()]), Value::from);
        }
        (5, node @ Value::Number(_)) => *node = Value::String(node.to_string()),
        (5, node) => {
            let mut wrapper = Map::new();
            wrapper.insert(rng.word(words), node.take());
            *node = Value::Object(wrapper);
        }
        // Any other value in its place.
        (_, node) => *node = scalar(rng, words),
    }
}

/// A mutation of an `application/x-www-form-urlencoded` body (for
/// `libfuzzer_sys::fuzz_mutator!`), with `names` and `words` the provider's parameters
/// and values.
pub fn mutate_form(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    names: &[&str],
    words: &[&str],
) -> usize {
    let mut rng = Rng(u64::from(seed));
    let params = (rng.below(2) == 0)
        .then(|| form_params(&data[..size]).ok())
        .flatten();
    let Some(mut params) = params else {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    };
    for _ in 0..=rng.below(3) {
        let at = rng.below(params.len());
        match (rng.below(6), params.is_empty()) {
            (0, _) | (_, true) => params.insert(at, (rng.word(names), rng.word(words))),
            (1, _) => params[at].0 = rng.word(names),
            (2, _) => params[at].1 = rng.word(words),
            (3, _) => params[at].1 = rng.next().to_string(),
            (4, _) => {
                params.remove(at);
            }
            _ => {
                let copy = params[at].clone();
                params.insert(rng.below(params.len() + 1), copy);
            }
        }
    }
    let mut out = Vec::new();
    for (name, value) in &params {
        if !out.is_empty() {
            out.push(b'&');
        }
        percent_encode(&mut out, name);
        out.push(b'=');
        percent_encode(&mut out, value);
    }
    emit(&out, data, size, max_size)
}

fn percent_encode(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._*".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
}
