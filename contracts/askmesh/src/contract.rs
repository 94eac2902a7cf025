//! askmesh: asks meshd's x/inference a question with the asker's funds,
//! stores the answer delivered by the job-end `sudo` callback, forwards the
//! refund to the asker, and sends ICS-20 transfers whose acknowledgements
//! come back through `ibc_source_callback`. The JSON of every message is
//! in contracts/README.md.

use crate::abi;
use crate::b64;
use crate::chain;
use crate::dec;
use crate::json::{self, num, obj, s, Json};
use crate::proto;

/// REQUEST_TYPE_URL is the message the contract sends as CosmosMsg::Any.
const REQUEST_TYPE_URL: &str = "/mesh.inference.v1.MsgRequestInference";
/// RESPONSE_TYPE_URL is the response wasmd hands back in the reply.
const RESPONSE_TYPE_URL: &str = "/mesh.inference.v1.MsgRequestInferenceResponse";
/// CALLBACK names the job-end callback x/inference delivers to `sudo`.
const CALLBACK: &str = "sudo";
/// PAGE bounds every list query.
const PAGE: u64 = 50;
/// Sizes the contract stores per record; x/inference checks its own
/// (smaller) input limit on top.
const MAX_QUESTION: usize = 16 * 1024;
const MAX_ID: usize = 128;
const MAX_ADDRESS: usize = 256;
/// MAX_MEMO is ibc-go's ICS-20 memo limit.
const MAX_MEMO: usize = 32 * 1024;
/// DEFAULT_CALLBACK_GAS_LIMIT is the sudo callback's gas when the ask names
/// none: x/inference requires a positive callback_gas_limit with callback
/// "sudo" (at most its max_callback_gas param) and charges it to the ask.
const DEFAULT_CALLBACK_GAS_LIMIT: u64 = 500_000;
const DEFAULT_TIMEOUT_SECONDS: u64 = 600;
const MAX_TIMEOUT_SECONDS: u64 = 365 * 24 * 3600;
const STATUSES: [&str; 3] = ["FINALIZED", "FAILED", "EXPIRED"];
/// The two x/inference queries the contract makes, both on meshd's accept
/// list for contracts (app/wasm_bindings.go), sent as QueryRequest::Grpc.
const QUERY_MODEL: &str = "/mesh.inference.v1.Query/Model";
const QUERY_PARAMS: &str = "/mesh.inference.v1.Query/Params";
/// MODEL_STATUS_ACTIVE (proto/mesh/inference/v1/types.proto) is the only
/// status that accepts requests.
const MODEL_STATUS_ACTIVE: u64 = 1;
const MODEL_STATUSES: [&str; 4] = ["MODEL_STATUS_UNSPECIFIED", "MODEL_STATUS_ACTIVE", "MODEL_STATUS_CANDIDATE", "MODEL_STATUS_RETIRED"];

// Storage keys. Records are JSON; counters decimal text; indices are
// zero-padded to 20 digits so that keys sort like the numbers.
const KEY_CONFIG: &str = "config";
const KEY_SUBMSG_SEQ: &str = "submsg_seq";
/// KEY_LAST_ASK holds the ask between execute and its reply (the same tx).
const KEY_LAST_ASK: &str = "last_ask";
const KEY_ANSWER_COUNT: &str = "answer_count";
const KEY_TRANSFER_COUNT: &str = "transfer_count";
const KEY_CALLBACK_COUNT: &str = "ibc_callback_count";

fn answer_key(job_id: u64) -> String {
    format!("answer/{:020}", job_id)
}
fn answer_index_key(k: u64) -> String {
    format!("answer_index/{:020}", k)
}
fn transfer_key(k: u64) -> String {
    format!("transfer/{:020}", k)
}
fn callback_key(k: u64) -> String {
    format!("ibc_callback/{:020}", k)
}

// ---- reading messages ----

fn err<T>(m: &str) -> Result<T, String> {
    Err(m.to_string())
}

/// variant splits a message {"name":{…}} into its name and body.
fn variant(m: &Json) -> Result<(&str, &Json), String> {
    match m {
        Json::Obj(members) if members.len() == 1 => Ok((members[0].0.as_str(), &members[0].1)),
        _ => err("expected an object with exactly one key naming the message"),
    }
}

/// only_keys refuses an object with a key outside allowed (a typo in an
/// optional field must not be silently ignored).
fn only_keys(m: &Json, allowed: &[&str], what: &str) -> Result<(), String> {
    if !matches!(m, Json::Obj(_)) {
        return Err(format!("{}: expected an object", what));
    }
    for k in m.keys() {
        if !allowed.contains(&k) {
            return Err(format!("{}: unknown field `{}`", what, k));
        }
    }
    Ok(())
}

/// opt returns a member, treating null as absent.
fn opt<'a>(m: &'a Json, k: &str) -> Option<&'a Json> {
    match m.get(k) {
        Some(Json::Null) | None => None,
        Some(v) => Some(v),
    }
}

fn req<'a>(m: &'a Json, k: &str) -> Result<&'a Json, String> {
    opt(m, k).ok_or_else(|| format!("missing field `{}`", k))
}

fn req_str<'a>(m: &'a Json, k: &str, max: usize) -> Result<&'a str, String> {
    let v = req(m, k)?.as_str().ok_or_else(|| format!("`{}` must be a string", k))?;
    if v.is_empty() || v.len() > max {
        return Err(format!("`{}` must be 1 to {} bytes", k, max));
    }
    Ok(v)
}

fn opt_u64(m: &Json, k: &str) -> Result<Option<u64>, String> {
    match opt(m, k) {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| format!("`{}` must be a non-negative integer", k)),
    }
}

/// uint64 reads a Uint64, written as a decimal string (or a plain number).
fn uint64(v: &Json, what: &str) -> Result<u64, String> {
    let parsed = match v {
        Json::Str(t) => json::parse_u64(t),
        _ => v.as_u64(),
    };
    parsed.ok_or_else(|| format!("`{}` must be an unsigned integer", what))
}

/// Coin is {"denom":…, "amount":"<decimal>"}; amounts stay decimal text
/// (an IBC voucher of an 18-decimal token exceeds 2^64).
struct Coin {
    denom: String,
    amount: String,
}

impl Coin {
    fn parse(v: &Json) -> Result<Coin, String> {
        let denom = req_str(v, "denom", MAX_ID)?;
        let amount = req(v, "amount")?.as_str().ok_or("coin amount must be a string")?;
        if !dec::canonical(amount) {
            return err("coin amount must be a decimal integer");
        }
        Ok(Coin { denom: denom.to_string(), amount: amount.to_string() })
    }

    fn is_zero(&self) -> bool {
        self.amount == "0"
    }

    fn json(&self) -> Json {
        obj(vec![("denom", s(&self.denom)), ("amount", s(&self.amount))])
    }

    fn proto(&self) -> Vec<u8> {
        let mut w = proto::Writer::new();
        w.bytes(1, self.denom.as_bytes());
        w.bytes(2, self.amount.as_bytes());
        w.buf
    }
}

/// settled_coin reads an optional coin of a job's settlement; a job that
/// paid or refunded nothing may carry an empty coin (no denom, amount "0"),
/// read as absent.
fn settled_coin(r: &Json, k: &str) -> Result<Option<Coin>, String> {
    let v = match opt(r, k) {
        None => return Ok(None),
        Some(v) => v,
    };
    let empty_denom = opt(v, "denom").and_then(|d| d.as_str()).map_or(true, |d| d.is_empty());
    let amount = opt(v, "amount").and_then(|a| a.as_str()).unwrap_or("0");
    if empty_denom && amount == "0" {
        return Ok(None);
    }
    Coin::parse(v).map(Some)
}

/// single_fund returns the one non-zero coin sent with the message.
fn single_fund(info: &Json) -> Result<Coin, String> {
    let funds = match opt(info, "funds") {
        None => return err("send exactly one coin with this message"),
        Some(f) => f.as_arr().ok_or("info.funds must be a list")?,
    };
    if funds.len() != 1 {
        return err("send exactly one coin with this message");
    }
    let c = Coin::parse(&funds[0])?;
    if c.is_zero() {
        return err("the coin sent must be non-zero");
    }
    Ok(c)
}

fn sender(info: &Json) -> Result<&str, String> {
    req_str(info, "sender", MAX_ADDRESS)
}

fn contract_address(env: &Json) -> Result<&str, String> {
    let c = req(env, "contract")?;
    req_str(c, "address", MAX_ADDRESS)
}

/// block_time is env.block.time in nanoseconds.
fn block_time(env: &Json) -> Result<u64, String> {
    let b = req(env, "block")?;
    uint64(req(b, "time")?, "env.block.time")
}

// ---- state ----

fn load(key: &str) -> Result<Option<Json>, String> {
    match abi::get(key) {
        None => Ok(None),
        Some(b) => json::parse(&b).map(Some).map_err(|e| format!("corrupt state at {}: {}", key, e)),
    }
}

fn save(key: &str, v: &Json) {
    abi::set(key, v.to_string().as_bytes())
}

fn counter(key: &str) -> Result<u64, String> {
    match abi::get(key) {
        None => Ok(0),
        Some(b) => std::str::from_utf8(&b).ok().and_then(json::parse_u64).ok_or_else(|| format!("corrupt counter {}", key)),
    }
}

/// bump increments a counter and returns its value before.
fn bump(key: &str) -> Result<u64, String> {
    let n = counter(key)?;
    abi::set(key, (n + 1).to_string().as_bytes());
    Ok(n)
}

/// set_member replaces (or appends) a member of an object.
fn set_member(rec: &mut Json, k: &str, v: Json) {
    if let Json::Obj(m) = rec {
        match m.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v,
            None => m.push((k.to_string(), v)),
        }
    }
}

// ---- chain queries ----

/// grpc runs an accepted gRPC query (QueryRequest::Grpc, CosmWasm 2) with
/// the request's protobuf bytes and returns the response's protobuf bytes.
/// what names the query in errors.
fn grpc(path: &str, data: &[u8], what: &str) -> Result<Vec<u8>, String> {
    let request = obj(vec![("grpc", obj(vec![("path", s(path)), ("data", Json::Str(b64::encode(data)))]))]);
    chain::read_answer(&abi::query(request.to_string().as_bytes()), what)
}

/// Quote is the chain's price for a request: the model's price per worker
/// in denom, the redundancy it applies to, and their product.
struct Quote {
    model: String,
    denom: String,
    price_per_worker: String,
    redundancy: u64,
    total: String,
}

impl Quote {
    fn json(&self) -> Json {
        obj(vec![
            ("model", s(&self.model)),
            ("denom", s(&self.denom)),
            ("price_per_worker", s(&self.price_per_worker)),
            ("redundancy", num(self.redundancy)),
            ("total", s(&self.total)),
        ])
    }

    fn per_worker(&self) -> Coin {
        Coin { denom: self.denom.clone(), amount: self.price_per_worker.clone() }
    }
}

/// quote reads model's prices (QueryModelResponse{model: Model}) and, when
/// redundancy is absent or 0, x/inference's default_redundancy
/// (QueryParamsResponse{params: Params}), and prices a request paid in
/// denom. A model that is not ACTIVE or has no price in denom is refused:
/// x/inference would refuse the request too, with a less telling error.
fn quote(model: &str, denom: &str, redundancy: Option<u64>) -> Result<Quote, String> {
    let mut req = proto::Writer::new();
    req.bytes(1, model.as_bytes()); // QueryModelRequest.id
    let what = format!("model `{}`", model);
    let resp = grpc(QUERY_MODEL, &req.buf, &what)?;
    let m = *proto::bytes_fields(&resp, 1)?.last().ok_or_else(|| format!("{}: no model in the answer", what))?;
    // Model (types.proto): status = 10, prices = 11 (repeated Coin).
    let status = proto::uint_field(m, 10)?;
    if status != MODEL_STATUS_ACTIVE {
        let name = MODEL_STATUSES.get(status as usize).copied().unwrap_or("an unknown status");
        return Err(format!("model `{}` is not active ({}): it accepts no requests", model, name));
    }
    let mut price = None;
    let mut listed = Vec::new();
    for c in proto::bytes_fields(m, 11)? {
        let (d, a) = (proto::string_field(c, 1)?, proto::string_field(c, 2)?);
        if !dec::canonical(&a) {
            return Err(format!("{}: price amount `{}` is not a decimal integer", what, a));
        }
        listed.push(format!("{}{}", a, d));
        if d == denom {
            price = Some(a);
        }
    }
    let price = price.ok_or_else(|| {
        let prices = if listed.is_empty() { "none".to_string() } else { listed.join(", ") };
        format!("model `{}` has no price in {} (its prices: {})", model, denom, prices)
    })?;
    let r = match redundancy.filter(|r| *r != 0) {
        Some(r) => r,
        None => {
            let resp = grpc(QUERY_PARAMS, &[], "x/inference params")?;
            let params = *proto::bytes_fields(&resp, 1)?.last().ok_or("x/inference params: no params in the answer")?;
            match proto::uint_field(params, 6)? {
                // Params.default_redundancy = 6
                0 => return err("x/inference params: default_redundancy is 0"),
                r => r,
            }
        }
    };
    let total = dec::mul(&price, r);
    Ok(Quote { model: model.to_string(), denom: denom.to_string(), price_per_worker: price, redundancy: r, total })
}

// ---- responses ----

fn attrs(pairs: &[(&str, &str)]) -> Json {
    Json::Arr(pairs.iter().map(|(k, v)| obj(vec![("key", s(k)), ("value", s(v))])).collect())
}

/// response is a CosmWasm Response with messages (already SubMsgs).
fn response(messages: Vec<Json>, attributes: Json, data: Option<&[u8]>) -> Json {
    obj(vec![
        ("messages", Json::Arr(messages)),
        ("attributes", attributes),
        ("events", Json::Arr(Vec::new())),
        ("data", data.map(|d| Json::Str(b64::encode(d))).unwrap_or(Json::Null)),
    ])
}

fn submsg(id: u64, msg: Json, reply_on: &str) -> Json {
    obj(vec![("id", num(id)), ("msg", msg), ("gas_limit", Json::Null), ("reply_on", s(reply_on))])
}

// ---- entry points ----

pub fn instantiate(_env: &Json, info: &Json, msg: &Json) -> Result<Json, String> {
    only_keys(msg, &[], "instantiate")?;
    let owner = sender(info)?;
    save(KEY_CONFIG, &obj(vec![("owner", s(owner))]));
    Ok(response(Vec::new(), attrs(&[("action", "instantiate"), ("owner", owner)]), None))
}

pub fn execute(env: &Json, info: &Json, msg: &Json) -> Result<Json, String> {
    match variant(msg)? {
        ("ask", m) => ask(env, info, m),
        ("transfer", m) => transfer(env, info, m),
        (other, _) => Err(format!("unknown execute message `{}`", other)),
    }
}

/// ask prices the request from the chain (the model's price in the coin's
/// denom × the redundancy, the params' default when none is given), refuses
/// a coin that does not cover it, then sends MsgRequestInference
/// (requester = this contract, max_fee = the coin sent, all of it escrowed;
/// x/inference refunds the rest at the job's end) as a SubMsg replying on
/// success, and keeps the asker and the price for the reply.
fn ask(env: &Json, info: &Json, m: &Json) -> Result<Json, String> {
    only_keys(m, &["model", "question", "redundancy", "callback_gas_limit"], "ask")?;
    let model = req_str(m, "model", MAX_ID)?;
    let question = req_str(m, "question", MAX_QUESTION)?;
    let redundancy = opt_u64(m, "redundancy")?;
    if redundancy.map_or(false, |r| r > u32::MAX as u64) {
        return err("`redundancy` must fit in 32 bits");
    }
    let gas_limit = opt_u64(m, "callback_gas_limit")?.unwrap_or(DEFAULT_CALLBACK_GAS_LIMIT);
    if gas_limit == 0 {
        return err("`callback_gas_limit` must be positive");
    }
    let fee = single_fund(info)?;
    let asker = sender(info)?;
    let me = contract_address(env)?;
    let q = quote(model, &fee.denom, redundancy)?;
    if dec::less(&fee.amount, &q.total) {
        return Err(format!(
            "{}{} does not cover the price of model `{}`: {}{} per worker × {} workers = {}{}",
            fee.amount, fee.denom, model, q.price_per_worker, q.denom, q.redundancy, q.total, q.denom
        ));
    }

    // MsgRequestInference (proto/mesh/inference/v1/tx.proto).
    let mut w = proto::Writer::new();
    w.bytes(1, me.as_bytes());
    w.bytes(2, model.as_bytes());
    w.bytes(3, question.as_bytes());
    w.message(6, &fee.proto());
    // The redundancy priced, so that x/inference charges what was checked.
    w.uint(7, q.redundancy);
    w.bytes(11, CALLBACK.as_bytes());
    w.uint(12, gas_limit);

    let id = bump(KEY_SUBMSG_SEQ)? + 1;
    save(
        KEY_LAST_ASK,
        &obj(vec![
            ("id", num(id)),
            ("asker", s(asker)),
            ("model", s(model)),
            ("question", s(question)),
            ("max_fee", fee.json()),
            ("price_per_worker", q.per_worker().json()),
            ("redundancy", num(q.redundancy)),
        ]),
    );
    let any = obj(vec![("any", obj(vec![("type_url", s(REQUEST_TYPE_URL)), ("value", Json::Str(b64::encode(&w.buf)))]))]);
    let ids = id.to_string();
    Ok(response(
        vec![submsg(id, any, "success")],
        attrs(&[("action", "ask"), ("asker", asker), ("model", model), ("price", &q.total), ("submsg_id", &ids)]),
        None,
    ))
}

/// reply reads the new job's id from MsgRequestInferenceResponse and stores
/// the pending answer. Its data, {"job_id":"<id>"}, becomes the data of the
/// asker's execute.
pub fn reply(_env: &Json, r: &Json) -> Result<Json, String> {
    let id = req(r, "id")?.as_u64().ok_or("reply id must be an integer")?;
    let last = load(KEY_LAST_ASK)?.ok_or("reply without a pending ask")?;
    if last.get("id").and_then(|v| v.as_u64()) != Some(id) {
        return Err(format!("reply {} does not match the pending ask", id));
    }
    let result = req(r, "result")?;
    if let Some(e) = opt(result, "error") {
        return Err(format!("request failed: {}", e.as_str().unwrap_or("?")));
    }
    let ok = req(result, "ok")?;
    let responses = req(ok, "msg_responses")?.as_arr().ok_or("msg_responses must be a list")?;
    let first = responses.first().ok_or("the request returned no msg response")?;
    if let Some(t) = opt(first, "type_url") {
        if t.as_str() != Some(RESPONSE_TYPE_URL) {
            return Err(format!("unexpected msg response {}", t.to_string()));
        }
    }
    let value = b64::decode(req(first, "value")?.as_str().ok_or("msg response value must be base64")?)?;
    let job_id = proto::uint_field(&value, 1)?;
    if job_id == 0 {
        return err("the request returned no job id");
    }
    if abi::get(&answer_key(job_id)).is_some() {
        return Err(format!("job {} is already recorded", job_id));
    }

    let index = bump(KEY_ANSWER_COUNT)?;
    let jid = job_id.to_string();
    let field = |k: &str| last.get(k).cloned().unwrap_or(Json::Null);
    let rec = obj(vec![
        ("job_id", s(&jid)),
        ("asker", field("asker")),
        ("model", field("model")),
        ("question", field("question")),
        ("status", s("pending")),
        ("output", Json::Null),
        ("output_digest", s("")),
        ("max_fee", field("max_fee")),
        ("price_per_worker", field("price_per_worker")),
        ("redundancy", field("redundancy")),
        ("fee_spent", Json::Null),
        ("refunded", Json::Null),
        ("index", num(index)),
    ]);
    save(&answer_key(job_id), &rec);
    abi::set(&answer_index_key(index), jid.as_bytes());
    abi::remove(KEY_LAST_ASK);
    let data = obj(vec![("job_id", s(&jid))]).to_string();
    Ok(response(Vec::new(), attrs(&[("action", "ask_reply"), ("job_id", &jid)]), Some(data.as_bytes())))
}

/// sudo takes x/inference's job-end callback: the answer is stored on the
/// job's record and the refund, which x/inference paid to this contract
/// (the requester), is forwarded to the asker.
pub fn sudo(_env: &Json, msg: &Json) -> Result<Json, String> {
    let r = match variant(msg)? {
        ("inference_result", r) => r,
        (other, _) => return Err(format!("unknown sudo message `{}`", other)),
    };
    let job_id = uint64(req(r, "job_id")?, "job_id")?;
    let status = req_str(r, "status", 32)?;
    if !STATUSES.contains(&status) {
        return Err(format!("unknown job status `{}`", status));
    }
    let output = match opt(r, "output") {
        None => Json::Null,
        Some(Json::Str(o)) => {
            b64::decode(o)?;
            s(o)
        }
        Some(_) => return err("`output` must be base64"),
    };
    let digest = match opt(r, "output_digest") {
        None => String::new(),
        Some(v) => v.as_str().ok_or("`output_digest` must be a string")?.to_string(),
    };
    let fee_spent = settled_coin(r, "fee_spent")?;
    let refunded = settled_coin(r, "refunded")?;

    let key = answer_key(job_id);
    let mut rec = load(&key)?.ok_or_else(|| format!("unknown job id {}", job_id))?;
    if rec.get("status").and_then(|v| v.as_str()) != Some("pending") {
        // A second result must not forward a second refund.
        return Err(format!("job {} already has a result", job_id));
    }
    set_member(&mut rec, "status", s(status));
    set_member(&mut rec, "output", output);
    set_member(&mut rec, "output_digest", s(&digest));
    set_member(&mut rec, "fee_spent", fee_spent.as_ref().map(Coin::json).unwrap_or(Json::Null));
    set_member(&mut rec, "refunded", refunded.as_ref().map(Coin::json).unwrap_or(Json::Null));
    save(&key, &rec);

    let jid = job_id.to_string();
    let mut messages = Vec::new();
    let mut refund_text = String::from("0");
    if let Some(c) = refunded.as_ref().filter(|c| !c.is_zero()) {
        let asker = rec.get("asker").and_then(|v| v.as_str()).ok_or("record has no asker")?;
        let send = obj(vec![(
            "bank",
            obj(vec![("send", obj(vec![("to_address", s(asker)), ("amount", Json::Arr(vec![c.json()]))]))]),
        )]);
        messages.push(submsg(0, send, "never"));
        refund_text = format!("{}{}", c.amount, c.denom);
    }
    Ok(response(
        messages,
        attrs(&[("action", "inference_result"), ("job_id", &jid), ("status", status), ("refund_forwarded", &refund_text)]),
        None,
    ))
}

/// transfer sends the coin given as an ICS-20 transfer with the memo
/// given (put {"src_callback":{"address":"<this contract>"}} in it to get
/// ibc_source_callback), and records it by order.
fn transfer(env: &Json, info: &Json, m: &Json) -> Result<Json, String> {
    only_keys(m, &["channel", "to_address", "memo", "timeout_seconds"], "transfer")?;
    let channel = req_str(m, "channel", MAX_ID)?;
    let to = req_str(m, "to_address", MAX_ADDRESS)?;
    let memo = match opt(m, "memo") {
        None => "",
        Some(v) => v.as_str().ok_or("`memo` must be a string")?,
    };
    if memo.len() > MAX_MEMO {
        return Err(format!("`memo` must be at most {} bytes", MAX_MEMO));
    }
    let secs = opt_u64(m, "timeout_seconds")?.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
    if secs == 0 || secs > MAX_TIMEOUT_SECONDS {
        return Err(format!("`timeout_seconds` must be 1 to {}", MAX_TIMEOUT_SECONDS));
    }
    let coin = single_fund(info)?;
    let from = sender(info)?;
    // secs ≤ one year, so secs × 10^9 fits; the sum is checked.
    let timeout = block_time(env)?.checked_add(secs * 1_000_000_000).ok_or("timeout overflows")?;
    let ts = timeout.to_string();

    let msg = obj(vec![(
        "ibc",
        obj(vec![(
            "transfer",
            obj(vec![
                ("channel_id", s(channel)),
                ("to_address", s(to)),
                ("amount", coin.json()),
                ("timeout", obj(vec![("block", Json::Null), ("timestamp", s(&ts))])),
                ("memo", s(memo)),
            ]),
        )]),
    )]);
    let index = bump(KEY_TRANSFER_COUNT)?;
    save(
        &transfer_key(index),
        &obj(vec![
            ("index", num(index)),
            ("sender", s(from)),
            ("channel", s(channel)),
            ("to_address", s(to)),
            ("amount", coin.json()),
            ("memo", s(memo)),
            ("timeout_timestamp", s(&ts)),
        ]),
    );
    let idx = index.to_string();
    Ok(response(
        vec![submsg(0, msg, "never")],
        attrs(&[("action", "transfer"), ("channel", channel), ("transfer_index", &idx)]),
        None,
    ))
}

/// ibc_source_callback records the acknowledgement or timeout of a packet
/// this contract sent (ibc-go's callbacks middleware calls it).
pub fn ibc_source_callback(_env: &Json, msg: &Json) -> Result<Json, String> {
    let (kind, packet, ack_data, relayer) = match variant(msg)? {
        ("acknowledgement", a) => {
            let data = req(req(a, "acknowledgement")?, "data")?.as_str().ok_or("ack data must be base64")?;
            (
                "ack",
                req(a, "original_packet")?,
                Some(data.to_string()),
                opt(a, "relayer").and_then(|v| v.as_str()).unwrap_or(""),
            )
        }
        ("timeout", t) => ("timeout", req(t, "packet")?, None, opt(t, "relayer").and_then(|v| v.as_str()).unwrap_or("")),
        (other, _) => return Err(format!("unknown ibc source callback `{}`", other)),
    };
    let channel = req_str(req(packet, "src")?, "channel_id", MAX_ID)?;
    let sequence = uint64(req(packet, "sequence")?, "sequence")?;
    // An ICS-20 acknowledgement is {"result":"AQ=="} or {"error":"…"}.
    let success = match &ack_data {
        None => Json::Bool(false),
        Some(d) => match b64::decode(d).ok().and_then(|b| json::parse(&b).ok()) {
            Some(ack) if ack.get("result").is_some() => Json::Bool(true),
            Some(ack) if ack.get("error").is_some() => Json::Bool(false),
            _ => Json::Null,
        },
    };
    let index = bump(KEY_CALLBACK_COUNT)?;
    save(
        &callback_key(index),
        &obj(vec![
            ("index", num(index)),
            ("channel", s(channel)),
            ("sequence", num(sequence)),
            ("kind", s(kind)),
            ("ack_data", ack_data.as_deref().map(s).unwrap_or(Json::Null)),
            ("success", success),
            ("relayer", s(relayer)),
        ]),
    );
    let seq = sequence.to_string();
    // An IbcBasicResponse: no data.
    Ok(obj(vec![
        ("messages", Json::Arr(Vec::new())),
        ("attributes", attrs(&[("action", "ibc_source_callback"), ("kind", kind), ("channel", channel), ("sequence", &seq)])),
        ("events", Json::Arr(Vec::new())),
    ]))
}

/// migrate accepts {} so that an admin can move the contract to new code.
pub fn migrate(_env: &Json, msg: &Json) -> Result<Json, String> {
    only_keys(msg, &[], "migrate")?;
    Ok(response(Vec::new(), attrs(&[("action", "migrate")]), None))
}

// ---- queries ----

pub fn query(_env: &Json, msg: &Json) -> Result<Json, String> {
    match variant(msg)? {
        ("config", m) => {
            only_keys(m, &[], "config")?;
            let mut c = load(KEY_CONFIG)?.ok_or("not instantiated")?;
            set_member(&mut c, "answers", num(counter(KEY_ANSWER_COUNT)?));
            set_member(&mut c, "transfers", num(counter(KEY_TRANSFER_COUNT)?));
            set_member(&mut c, "ibc_callbacks", num(counter(KEY_CALLBACK_COUNT)?));
            Ok(c)
        }
        ("answer", m) => {
            only_keys(m, &["job_id"], "answer")?;
            let job_id = uint64(req(m, "job_id")?, "job_id")?;
            let rec = load(&answer_key(job_id))?.ok_or_else(|| format!("unknown job id {}", job_id))?;
            Ok(answer_view(&rec))
        }
        ("answers", m) => {
            only_keys(m, &["start_after", "limit"], "answers")?;
            let start = match opt(m, "start_after") {
                None => 0,
                Some(v) => {
                    let after = uint64(v, "start_after")?;
                    let rec = load(&answer_key(after))?.ok_or_else(|| format!("unknown job id {}", after))?;
                    rec.get("index").and_then(|i| i.as_u64()).ok_or("record has no index")? + 1
                }
            };
            let mut out = Vec::new();
            for k in page(start, m, KEY_ANSWER_COUNT)? {
                let id = abi::get(&answer_index_key(k)).ok_or("missing answer index")?;
                let id = std::str::from_utf8(&id).ok().and_then(json::parse_u64).ok_or("corrupt answer index")?;
                out.push(answer_view(&load(&answer_key(id))?.ok_or("missing answer")?));
            }
            Ok(Json::Arr(out))
        }
        ("price", m) => {
            only_keys(m, &["model", "denom", "redundancy"], "price")?;
            let model = req_str(m, "model", MAX_ID)?;
            let denom = req_str(m, "denom", MAX_ID)?;
            let redundancy = opt_u64(m, "redundancy")?;
            if redundancy.map_or(false, |r| r > u32::MAX as u64) {
                return err("`redundancy` must fit in 32 bits");
            }
            Ok(quote(model, denom, redundancy)?.json())
        }
        ("transfers", m) => list(m, KEY_TRANSFER_COUNT, transfer_key, "transfers"),
        ("ibc_callbacks", m) => list(m, KEY_CALLBACK_COUNT, callback_key, "ibc_callbacks"),
        (other, _) => Err(format!("unknown query `{}`", other)),
    }
}

/// answer_view is the public shape of an answer record.
fn answer_view(rec: &Json) -> Json {
    let field = |k: &str| rec.get(k).cloned().unwrap_or(Json::Null);
    obj(vec![
        ("job_id", field("job_id")),
        ("asker", field("asker")),
        ("model", field("model")),
        ("question", field("question")),
        ("status", field("status")),
        ("output", field("output")),
        ("output_digest", field("output_digest")),
        ("max_fee", field("max_fee")),
        ("price_per_worker", field("price_per_worker")),
        ("redundancy", field("redundancy")),
        ("fee_spent", field("fee_spent")),
        ("refunded", field("refunded")),
    ])
}

/// page returns the indices [start, min(start+limit, count)), limit ≤ PAGE.
fn page(start: u64, m: &Json, count_key: &str) -> Result<std::ops::Range<u64>, String> {
    let limit = opt_u64(m, "limit")?.unwrap_or(PAGE).min(PAGE);
    let count = counter(count_key)?;
    let start = start.min(count);
    Ok(start..count.min(start + limit))
}

/// list pages through records stored by index; start_after is an index.
fn list(m: &Json, count_key: &str, key: fn(u64) -> String, what: &str) -> Result<Json, String> {
    only_keys(m, &["start_after", "limit"], what)?;
    let start = match opt(m, "start_after") {
        None => 0,
        Some(v) => uint64(v, "start_after")?.saturating_add(1),
    };
    let mut out = Vec::new();
    for k in page(start, m, count_key)? {
        out.push(load(&key(k))?.ok_or("missing record")?);
    }
    Ok(Json::Arr(out))
}
