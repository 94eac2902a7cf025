//! The CosmWasm VM interface (interface_version_8): memory regions shared
//! with the host, the `env` imports the contract uses, and the wrappers
//! that turn an entry point's result into the JSON the VM expects.

use crate::b64;
use crate::json::{self, Json};

/// Region describes a buffer in the contract's memory, shared with the VM:
/// offset and capacity of the allocation and the length in use.
#[repr(C)]
pub struct Region {
    pub offset: u32,
    pub capacity: u32,
    pub length: u32,
}

extern "C" {
    fn db_read(key: u32) -> u32;
    fn db_write(key: u32, value: u32);
    fn db_remove(key: u32);
    /// query_chain takes a QueryRequest's JSON and returns the JSON of a
    /// SystemResult<ContractResult<Binary>>.
    fn query_chain(request: u32) -> u32;
}

/// allocate is called by the VM to place arguments in contract memory.
#[no_mangle]
extern "C" fn allocate(size: usize) -> u32 {
    release(Vec::with_capacity(size)) as u32
}

/// deallocate frees a region the VM got from allocate or from a result.
#[no_mangle]
extern "C" fn deallocate(ptr: u32) {
    drop(unsafe { consume(ptr as *mut Region) });
}

/// release hands v to the VM as a Region (leaked until deallocate).
fn release(mut v: Vec<u8>) -> *mut Region {
    let region = Region { offset: v.as_mut_ptr() as u32, capacity: v.capacity() as u32, length: v.len() as u32 };
    std::mem::forget(v);
    Box::into_raw(Box::new(region))
}

/// consume takes back ownership of a region and its buffer.
unsafe fn consume(ptr: *mut Region) -> Vec<u8> {
    let r = Box::from_raw(ptr);
    Vec::from_raw_parts(r.offset as *mut u8, r.length as usize, r.capacity as usize)
}

/// view builds a Region over borrowed bytes for an import call.
fn view(b: &[u8]) -> Region {
    Region { offset: b.as_ptr() as u32, capacity: b.len() as u32, length: b.len() as u32 }
}

pub fn get(key: &str) -> Option<Vec<u8>> {
    let k = view(key.as_bytes());
    let ptr = unsafe { db_read(&k as *const Region as u32) };
    if ptr == 0 {
        None
    } else {
        Some(unsafe { consume(ptr as *mut Region) })
    }
}

pub fn set(key: &str, value: &[u8]) {
    let (k, v) = (view(key.as_bytes()), view(value));
    unsafe { db_write(&k as *const Region as u32, &v as *const Region as u32) }
}

pub fn remove(key: &str) {
    let k = view(key.as_bytes());
    unsafe { db_remove(&k as *const Region as u32) }
}

/// query runs a QueryRequest (JSON) against the chain and returns the
/// host's answer, a SystemResult<ContractResult<Binary>> in JSON.
pub fn query(request: &[u8]) -> Vec<u8> {
    let r = view(request);
    unsafe { consume(query_chain(&r as *const Region as u32) as *mut Region) }
}

/// read_json parses the argument region ptr (consumed).
fn read_json(ptr: u32) -> Result<Json, String> {
    let bytes = unsafe { consume(ptr as *mut Region) };
    json::parse(&bytes)
}

/// answer wraps an entry point's outcome as a ContractResult:
/// {"ok":<value>} or {"error":"<message>"}.
fn answer(r: Result<Json, String>) -> u32 {
    let out = match r {
        Ok(v) => json::obj(vec![("ok", v)]),
        Err(e) => json::obj(vec![("error", Json::Str(e))]),
    };
    release(out.to_string().into_bytes()) as u32
}

/// call3 runs an entry point taking (env, info, msg).
pub fn call3(env: u32, info: u32, msg: u32, f: fn(&Json, &Json, &Json) -> Result<Json, String>) -> u32 {
    let env = read_json(env);
    let info = read_json(info);
    // A message that is not JSON is the caller's error, reported as such.
    let msg = read_json(msg);
    answer((|| f(&env?, &info?, &msg?))())
}

/// call2 runs an entry point taking (env, msg): sudo, reply, migrate and
/// the IBC callbacks.
pub fn call2(env: u32, msg: u32, f: fn(&Json, &Json) -> Result<Json, String>) -> u32 {
    let env = read_json(env);
    let msg = read_json(msg);
    answer((|| f(&env?, &msg?))())
}

/// call_query runs the query entry point; its ok value is the base64 of
/// the answer's JSON.
pub fn call_query(env: u32, msg: u32, f: fn(&Json, &Json) -> Result<Json, String>) -> u32 {
    let env = read_json(env);
    let msg = read_json(msg);
    answer((|| f(&env?, &msg?))().map(|v| Json::Str(b64::encode(v.to_string().as_bytes()))))
}
