//! The host's answer to a chain query (the `query_chain` import): a
//! SystemResult<ContractResult<Binary>> in JSON, read here apart from the
//! import so that tests/codec.rs can check it on the host.

use crate::b64;
use crate::json;

/// read_answer returns the response bytes of a query answer, or an error
/// naming `what` was asked. The three shapes wasmvm writes:
/// `{"ok":{"ok":"<base64>"}}`; `{"ok":{"error":"<text>"}}`, a module's
/// error (wasmd redacts it to `codespace: …, code: …`; x/inference's
/// Model query for an unknown id gives `codespace: undefined, code: 1`); and
/// `{"error":{<system error>}}`, among them a path off the chain's accept
/// list, `{"error":{"unsupported_request":{"kind":"'<path>' path is not
/// allowed from the contract"}}}`.
pub fn read_answer(raw: &[u8], what: &str) -> Result<Vec<u8>, String> {
    let answer = json::parse(raw).map_err(|e| format!("{}: unreadable query answer: {}", what, e))?;
    if let Some(e) = answer.get("error") {
        let kind = e.get("unsupported_request").and_then(|u| u.get("kind")).and_then(|k| k.as_str());
        return Err(match kind {
            Some(k) => format!("{}: the chain refused the query: {}", what, k),
            None => format!("{}: query failed: {}", what, e.to_string()),
        });
    }
    let result = answer.get("ok").ok_or_else(|| format!("{}: malformed query answer", what))?;
    if let Some(e) = result.get("error") {
        return Err(format!("{}: query failed: {}", what, e.as_str().unwrap_or("?")));
    }
    let data = result.get("ok").and_then(|d| d.as_str()).ok_or_else(|| format!("{}: malformed query answer", what))?;
    b64::decode(data).map_err(|e| format!("{}: {}", what, e))
}
