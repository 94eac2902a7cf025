//! Host unit tests of askmesh's JSON, base64, protobuf and decimal code (the parts
//! that need no VM). Run: rustc --edition 2021 --test tests/codec.rs -o /tmp/t && /tmp/t
//! (tests/integration/contract_test.go does this when /usr/bin/rustc is present).

#[path = "../src/b64.rs"]
mod b64;
#[path = "../src/json.rs"]
#[allow(dead_code)]
mod json;
#[path = "../src/proto.rs"]
mod proto;
#[path = "../src/chain.rs"]
mod chain;
#[path = "../src/dec.rs"]
mod dec;

use json::{parse, Json};

#[test]
fn json_round_trip_keeps_order_and_escapes() {
    let text = r#"{"b":[1,-2,3.5e-1,true,false,null],"a":"x\"y\\z\n\u00e9\ud83d\ude00\u0001"}"#;
    let v = parse(text.as_bytes()).unwrap();
    assert_eq!(v.keys(), vec!["b", "a"]);
    assert_eq!(v.get("a").unwrap().as_str().unwrap(), "x\"y\\z\né😀\u{1}");
    let out = v.to_string();
    assert_eq!(out, "{\"b\":[1,-2,3.5e-1,true,false,null],\"a\":\"x\\\"y\\\\z\\né😀\\u0001\"}");
    assert_eq!(parse(out.as_bytes()).unwrap(), v);
}

#[test]
fn json_refuses_malformed() {
    for bad in [
        "", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.", "-", "tru", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "{\"a\":1,\"a\":2}", "\"a\u{1}\"", "1 2", "{a:1}",
    ] {
        assert!(parse(bad.as_bytes()).is_err(), "accepted {:?}", bad);
    }
    let deep = "[".repeat(40) + &"]".repeat(40);
    assert!(parse(deep.as_bytes()).is_err(), "nesting is bounded");
    let ok = "[".repeat(30) + &"]".repeat(30);
    assert!(parse(ok.as_bytes()).is_ok());
    assert!(parse(&[b'"', 0xff, b'"']).is_err(), "not UTF-8");
}

#[test]
fn json_u64() {
    assert_eq!(Json::Num("18446744073709551615".into()).as_u64(), Some(u64::MAX));
    for bad in ["18446744073709551616", "-1", "1.0", "1e3", "01", ""] {
        assert_eq!(json::parse_u64(bad), None, "{}", bad);
    }
    assert_eq!(Json::Str("5".into()).as_u64(), None, "a string is not a number");
}

#[test]
fn base64_matches_go_std_encoding() {
    let cases: [(&[u8], &str); 5] = [(b"", ""), (b"f", "Zg=="), (b"fo", "Zm8="), (b"foo", "Zm9v"), (b"\xff\xfe\x00low", "//4AbG93")];
    for (raw, enc) in cases {
        assert_eq!(b64::encode(raw), enc);
        assert_eq!(b64::decode(enc).unwrap(), raw);
    }
    for bad in ["Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm-v", "Zg==Zg=="] {
        assert!(b64::decode(bad).is_err(), "accepted {}", bad);
    }
}

#[test]
fn proto_encodes_and_reads_varints() {
    let mut w = proto::Writer::new();
    w.bytes(1, b"ab");
    w.uint(7, 0); // proto3: zero left out
    w.uint(12, 500_000);
    w.message(6, b"");
    assert_eq!(w.buf, vec![0x0a, 2, b'a', b'b', 0x60, 0xa0, 0xc2, 0x1e, 0x32, 0]);
    // MsgRequestInferenceResponse{job_id: 300, workers: ["w"]}
    let resp = [0x08, 0xac, 0x02, 0x12, 1, b'w'];
    assert_eq!(proto::uint_field(&resp, 1).unwrap(), 300);
    assert_eq!(proto::uint_field(&[0x12, 5, b'w'], 1).is_err(), true, "truncated");
    assert_eq!(proto::uint_field(&[0x08], 1).is_err(), true, "truncated varint");
    let max = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    assert_eq!(proto::uint_field(&max, 1).unwrap(), u64::MAX);
    let over = [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
    assert!(proto::uint_field(&over, 1).is_err());
}

#[test]
fn proto_reads_a_query_model_response() {
    // QueryModelResponse{model: Model{id: "m1", status: ACTIVE (10 = 1),
    // prices (11): [{denom: "uatom", amount: "7"}, {denom: "umesh", amount: "1000"}]}}
    let coin = |d: &[u8], a: &[u8]| {
        let mut w = proto::Writer::new();
        w.bytes(1, d);
        w.bytes(2, a);
        w.buf
    };
    let mut m = proto::Writer::new();
    m.bytes(1, b"m1");
    m.uint(10, 1);
    m.message(11, &coin(b"uatom", b"7"));
    m.message(11, &coin(b"umesh", b"1000"));
    let mut resp = proto::Writer::new();
    resp.message(1, &m.buf);
    let model = proto::bytes_fields(&resp.buf, 1).unwrap();
    assert_eq!(model.len(), 1);
    assert_eq!(proto::string_field(model[0], 1).unwrap(), "m1");
    assert_eq!(proto::uint_field(model[0], 10).unwrap(), 1);
    let prices: Vec<(String, String)> = proto::bytes_fields(model[0], 11)
        .unwrap()
        .into_iter()
        .map(|c| (proto::string_field(c, 1).unwrap(), proto::string_field(c, 2).unwrap()))
        .collect();
    assert_eq!(prices, vec![("uatom".to_string(), "7".to_string()), ("umesh".to_string(), "1000".to_string())]);
    // A field read with the wrong wire type is an error, not a zero.
    assert!(proto::uint_field(&resp.buf, 1).is_err());
    assert!(proto::bytes_fields(model[0], 10).is_err());
    assert!(proto::string_field(&[0x0a, 1, 0xff], 1).is_err(), "not UTF-8");
    assert_eq!(proto::string_field(&[], 1).unwrap(), "", "absent");
}

#[test]
fn decimal_amounts() {
    assert_eq!(dec::mul("1000", 3), "3000");
    assert_eq!(dec::mul("0", 7), "0");
    assert_eq!(dec::mul("5", 0), "0");
    assert_eq!(dec::mul("18446744073709551615", 18446744073709551615), "340282366920938463426481119284349108225");
    let big = "9".repeat(78);
    assert_eq!(dec::mul(&big, 10), big.clone() + "0");
    assert!(dec::less("999", "1000"));
    assert!(dec::less("1999", "2000"));
    assert!(!dec::less("2000", "2000"));
    assert!(!dec::less("10", "9"));
    for ok in ["0", "1", "1000", &big] {
        assert!(dec::canonical(ok), "{}", ok);
    }
    for bad in ["", "01", "-1", "1.0", "1e3", " 1"] {
        assert!(!dec::canonical(bad), "{}", bad);
    }
    assert!(!dec::canonical(&"9".repeat(79)));
}

#[test]
fn chain_query_answers() {
    assert_eq!(chain::read_answer(br#"{"ok":{"ok":"CgJtMQ=="}}"#, "q").unwrap(), b"\x0a\x02m1");
    assert_eq!(chain::read_answer(br#"{"ok":{"ok":""}}"#, "q").unwrap(), b"", "an empty response");
    // What wasmd answers for a path off meshd's accept list.
    let refused = br#"{"error":{"unsupported_request":{"kind":"'/mesh.inference.v1.Query/Jobs' path is not allowed from the contract"}}}"#;
    assert_eq!(
        chain::read_answer(refused, "jobs").unwrap_err(),
        "jobs: the chain refused the query: '/mesh.inference.v1.Query/Jobs' path is not allowed from the contract"
    );
    assert_eq!(
        chain::read_answer(br#"{"ok":{"error":"codespace: undefined, code: 1"}}"#, "model `m9`").unwrap_err(),
        "model `m9`: query failed: codespace: undefined, code: 1"
    );
    assert_eq!(chain::read_answer(br#"{"error":{"unknown":{}}}"#, "q").unwrap_err(), "q: query failed: {\"unknown\":{}}");
    for bad in [&b"{"[..], br#"{"ok":{}}"#, br#"{}"#, br#"{"ok":{"ok":"Zg"}}"#] {
        assert!(chain::read_answer(bad, "q").is_err(), "{:?}", std::str::from_utf8(bad));
    }
}
