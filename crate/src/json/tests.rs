//! Cases in the spirit of JSONTestSuite (y_ must parse, n_ must not), written for this
//! reader, plus the rules it adds (duplicates, depth) and the writer's round trip.

use super::*;

fn ok(text: &str) -> Value {
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn refused(text: &[u8]) -> JsonError {
    match parse(text) {
        Ok(v) => panic!(
            "{:?} should be refused, read {v:?}",
            String::from_utf8_lossy(text)
        ),
        Err(e) => e,
    }
}

#[test]
fn accepts_valid_documents() {
    for text in [
        "{}",
        "[]",
        "0",
        "-0",
        "1",
        "-1",
        "123.456e-7",
        "1E+2",
        "1e2",
        "0.5",
        "true",
        "false",
        "null",
        "\"\"",
        "\"a\\/b\"",
        " \t\r\n{ \"a\" : [ 1 , { \"b\" : null } ] } \t\r\n",
        "[[],{},[{}]]",
        "{\"\":0}",
        "\"\u{7f}\u{80}\u{ffff}\"",
        "[1e400]",
        "123456789012345678901234567890",
    ] {
        ok(text);
    }
}

#[test]
fn refuses_invalid_documents() {
    for text in [
        "",
        " ",
        "[",
        "]",
        "{",
        "[1,]",
        "[,1]",
        "[1,,2]",
        "{\"a\":1,}",
        "{,}",
        "{\"a\"}",
        "{\"a\" 1}",
        "{a:1}",
        "{'a':1}",
        "['a']",
        "[01]",
        "01",
        "-01",
        "00",
        "1.",
        ".1",
        "1.e1",
        "1e",
        "1e+",
        "+1",
        "-",
        "0x10",
        "NaN",
        "-Infinity",
        "Infinity",
        "[1] x",
        "[1][2]",
        "tru",
        "nul",
        "True",
        "[true false]",
        "\"abc",
        "\"\\x41\"",
        "\"\\u12\"",
        "\"\\u12g4\"",
        "\"\\U0041\"",
        "\"tab\there\"",
        "\"new\nline\"",
        "\"\u{0}\"",
        "/* c */ 1",
        "1 // c",
        "[1]\u{0c}",
        "\u{a0}1",
        "\u{feff}{}",
        "{\"a\":1}}",
    ] {
        refused(text.as_bytes());
    }
}

#[test]
fn refuses_invalid_utf8() {
    for bytes in [
        &b"\"\xff\""[..],
        b"\"\xc3\"",
        b"\"\xed\xa0\x80\"", // a surrogate encoded as UTF-8
        b"\"\xc0\xaf\"",     // overlong `/`
        b"[\"a\"]\x80",
    ] {
        assert_eq!(refused(bytes).reason(), "invalid UTF-8");
    }
}

#[test]
fn refuses_duplicate_member_names() {
    let e = refused(br#"{"aud":"a","sub":"s","aud":"b"}"#);
    assert_eq!(e.reason(), "duplicate member name");
    assert_eq!(e.offset(), 21);
    assert!(e.to_string().contains("\"aud\""), "{e}");
    // Names are compared after unescaping: `\u0061ud` is `aud`.
    refused(br#"{"aud":"a","\u0061ud":"b"}"#);
    // Nested objects too, and the same name in sibling objects is fine.
    assert_eq!(refused(br#"{"x":{"k":1,"k":1}}"#).offset(), 12);
    ok(r#"[{"k":1},{"k":2}]"#);
}

#[test]
fn bounds_nesting_depth() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    ok(&nested(MAX_DEPTH));
    let e = refused(nested(MAX_DEPTH + 1).as_bytes());
    assert_eq!(e.reason(), "arrays and objects nest too deeply");
    let objects = format!(
        "{}1{}",
        "{\"a\":".repeat(MAX_DEPTH + 1),
        "}".repeat(MAX_DEPTH + 1)
    );
    refused(objects.as_bytes());
    // Far deeper input is refused at the bound, without recursing further.
    refused("[".repeat(100_000).as_bytes());
}

#[test]
fn bounds_members_per_object() {
    let object = |n: usize| {
        let members: Vec<String> = (0..n).map(|i| format!("\"m{i}\":{i}")).collect();
        format!("{{{}}}", members.join(","))
    };
    let full = ok(&object(MAX_MEMBERS));
    assert_eq!(full.as_object().map(Map::len), Some(MAX_MEMBERS));
    assert_eq!(full.get("m7").and_then(Value::as_u64), Some(7));
    let e = refused(object(MAX_MEMBERS + 1).as_bytes());
    assert_eq!(e.reason(), "an object has too many members");
    // Arrays have no such bound.
    ok(&format!("[{}]", vec!["0"; 10 * MAX_MEMBERS].join(",")));
}

#[test]
fn reads_escapes_and_surrogate_pairs() {
    assert_eq!(
        ok(r#""\"\\\/\b\f\n\r\t""#).as_str(),
        Some("\"\\/\u{8}\u{c}\n\r\t")
    );
    assert_eq!(ok(r#""\u0041\u00e9\u20AC""#).as_str(), Some("Aé€"));
    assert_eq!(ok(r#""\ud83d\ude00""#).as_str(), Some("😀"));
    assert_eq!(ok(r#""\uDBFF\uDFFF""#).as_str(), Some("\u{10ffff}"));
    assert_eq!(ok(r#""\u0000""#).as_str(), Some("\u{0}"));
    for lone in [
        r#""\ud83d""#,
        r#""\ud83dx""#,
        r#""\ud83d\u0041""#,
        r#""\ud83d\ud83d""#,
        r#""\ude00""#,
        r#""\ude00\ud83d""#,
        r#""\ud83d\""#,
    ] {
        refused(lone.as_bytes());
    }
}

#[test]
fn numbers_keep_their_text() {
    for text in [
        "0",
        "-0",
        "1.50",
        "1e400",
        "-1E-400",
        "1.0",
        "12345678901234567890123",
    ] {
        let v = ok(text);
        assert_eq!(v.as_number().unwrap().as_str(), text);
        assert_eq!(v.to_json(), text);
    }
}

#[test]
fn number_conversions() {
    assert_eq!(ok("1700000000").as_u64(), Some(1_700_000_000));
    assert_eq!(ok("1700000000").as_i64(), Some(1_700_000_000));
    assert_eq!(ok("1700000000").as_f64(), Some(1.7e9));
    assert_eq!(ok("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(ok("18446744073709551616").as_u64(), None);
    assert_eq!(ok("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(ok("-9223372036854775809").as_i64(), None);
    assert_eq!(ok("-1").as_u64(), None);
    assert_eq!(ok("-1").as_i64(), Some(-1));
    // Not integers as written, so not integers here, as in serde_json.
    assert_eq!(ok("3.0").as_u64(), None);
    assert_eq!(ok("1e3").as_i64(), None);
    assert_eq!(ok("1e3").as_f64(), Some(1000.0));
    assert_eq!(ok("1.5").as_f64(), Some(1.5));
    // Out of range: an infinity, which callers needing a real number refuse.
    assert_eq!(ok("1e400").as_f64(), Some(f64::INFINITY));
    assert_eq!(ok("-1e400").as_f64(), Some(f64::NEG_INFINITY));
    let negative_zero = ok("-0").as_f64().unwrap();
    assert!(negative_zero == 0.0 && negative_zero.is_sign_negative());
    assert_eq!(ok("-0").as_i64(), None);
    assert_eq!(ok("-0").as_u64(), None);
    assert_eq!(ok("\"1\"").as_u64(), None);
}

#[test]
fn accessors_match_serde_json_shapes() {
    let v = ok(r#"{"s":"x","b":true,"n":null,"a":[1],"o":{"k":"v"}}"#);
    let map = v.as_object().unwrap();
    assert_eq!(map.len(), 5);
    assert_eq!(v.get("s").and_then(Value::as_str), Some("x"));
    assert_eq!(v.get("b").and_then(Value::as_bool), Some(true));
    assert!(v.get("n").unwrap().is_null());
    assert_eq!(v.get("a").and_then(Value::as_array).map(Vec::len), Some(1));
    assert_eq!(
        v.get("o").and_then(|o| o.get("k")).and_then(Value::as_str),
        Some("v")
    );
    assert!(map.contains_key("o") && !map.contains_key("missing"));
    assert_eq!(
        map.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b", "n", "o", "s"]
    );
    assert_eq!(v.get("s").unwrap().as_object(), None);
    assert_eq!(ok("[]").get("s"), None);
}

#[test]
fn writer_escapes_what_json_requires() {
    let v = Value::from("q\" b\\ s/ \n\r\t\u{8}\u{c} \u{0}\u{1f}\u{7f} é😀");
    assert_eq!(
        v.to_json(),
        r#""q\" b\\ s/ \n\r\t\b\f \u0000\u001f"#.to_owned() + "\u{7f} é😀\""
    );
    let mut map = Map::new();
    map.insert("b", 2u64);
    map.insert(
        "a\n",
        Value::Array(vec![Value::Null, true.into(), (-3i64).into()]),
    );
    map.insert("c", Map::new());
    assert_eq!(
        Value::Object(map).to_json(),
        r#"{"a\n":[null,true,-3],"b":2,"c":{}}"#
    );
}

#[test]
fn write_then_parse_gives_the_same_value() {
    for text in [
        r#"{"sub":"alice","aud":["a","b"],"exp":1700000000,"x":-0.5e-3,"n":null,"t":true}"#,
        r#"["\u0000\u001f\"\\\/\ud83d\ude00é", {"":[[],{}]}, 1E400, -0]"#,
        r#""line\nbreak""#,
    ] {
        let v = ok(text);
        assert_eq!(ok(&v.to_json()), v);
        // And writing is stable.
        assert_eq!(ok(&v.to_json()).to_json(), v.to_json());
    }
}

#[test]
fn serializes_through_serde_like_serde_json() {
    let v = ok(r#"{"big":18446744073709551615,"neg":-5,"f":1.5,"e":1e2,"s":"x","a":[null,false]}"#);
    let through_serde = serde_json::to_value(&v).unwrap();
    assert_eq!(
        through_serde,
        serde_json::json!({"big": u64::MAX, "neg": -5, "f": 1.5, "e": 100.0, "s": "x", "a": [null, false]})
    );
}

#[test]
fn agrees_with_serde_json_on_what_both_accept() {
    for text in [
        r#"{"iss":"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab","cognito:groups":["g"],"exp":1,"auth_time":1.5}"#,
        r#"[0,-0,1e-7,"\u00e9\ud83d\ude00",{"k":[true,null]}]"#,
    ] {
        let ours = ok(text);
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_value(&ours).unwrap(), theirs);
    }
}

#[test]
fn map_keeps_names_sorted_and_unique() {
    let mut map = Map::new();
    assert_eq!(map.insert("b", 1u64), None);
    assert_eq!(map.insert("a", 2u64), None);
    assert_eq!(map.insert("c", 3u64), None);
    assert_eq!(map.insert("b", 4u64), Some(Value::from(1u64)));
    assert_eq!(
        map.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(map.get("b").and_then(Value::as_u64), Some(4));
    assert_eq!(map.remove("a"), Some(Value::from(2u64)));
    assert_eq!(map.remove("a"), None);
    assert_eq!(map.len(), 2);
    let collected: Map = [("z", 1u64), ("y", 2), ("z", 3)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
    assert_eq!(collected.to_json(), r#"{"y":2,"z":3}"#);
    // What the reader builds is found the same way.
    let read = ok(r#"{"z":0,"m":1,"a":2,"é":3,"A":4}"#);
    let read = read.as_object().unwrap();
    for (name, n) in [("z", 0), ("m", 1), ("a", 2), ("é", 3), ("A", 4)] {
        assert_eq!(read.get(name).and_then(Value::as_u64), Some(n), "{name}");
    }
    assert!(read.get("b").is_none());
}

#[test]
fn object_writer_writes_what_the_tree_writes() {
    let mut tree = Map::new();
    tree.insert("a\"b", "x\ny");
    tree.insert("big", u64::MAX);
    tree.insert("nested", ok(r#"{"z":[1,"2",null],"a":{}}"#));
    tree.insert("none", Value::Null);
    tree.insert("zero", 0u64);
    let nested = match ok(r#"{"z":[1,"2",null],"a":{}}"#) {
        Value::Object(map) => map,
        other => panic!("{other:?}"),
    };
    let text = ObjectWriter::new()
        .string("a\"b", "x\ny")
        .number("big", u64::MAX)
        .object("nested", &nested)
        .optional("none", None)
        .number("zero", 0)
        .finish();
    assert_eq!(text, tree.to_json());
    assert_eq!(ObjectWriter::new().finish(), "{}");
    assert_eq!(string_array(["a", "\\"]), r#"["a","\\"]"#);
    assert_eq!(string_array([]), "[]");
}

#[test]
#[should_panic(expected = "out of name order")]
fn object_writer_refuses_members_out_of_order_in_debug_builds() {
    ObjectWriter::new().string("b", "").string("a", "");
}

#[test]
fn digits_are_written_without_fmt() {
    let digits = |n: u64, radix: u64| {
        let mut out = String::from("x");
        super::write::push_digits(&mut out, n, radix);
        out
    };
    for n in [
        0,
        1,
        9,
        10,
        11,
        99,
        100,
        255,
        256,
        1_796_281_966_152,
        u64::MAX,
    ] {
        assert_eq!(digits(n, 10), format!("x{n}"));
        assert_eq!(digits(n, 16), format!("x{n:x}"));
    }
}

#[test]
fn bytes_are_written_as_two_hex_digits_each() {
    let mut out = String::from("x");
    super::write::push_hex(&mut out, &[0x00, 0x0f, 0x10, 0xa5, 0xff]);
    assert_eq!(out, "x000f10a5ff");
}
