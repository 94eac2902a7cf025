//! askmesh, a CosmWasm contract for meshd written without crates (no
//! cosmwasm-std, no serde: crates.io is out of reach where it is built).
//! Build: scripts/build-contracts.sh. Interface: contracts/README.md.

mod abi;
mod b64;
mod chain;
mod contract;
mod dec;
mod json;
mod proto;

/// interface_version_8 marks the CosmWasm 2.x ABI.
#[no_mangle]
pub extern "C" fn interface_version_8() {}

/// requires_cosmwasm_2_0 declares the capability of QueryRequest::Grpc,
/// which the contract uses to read a model's prices and the params; wasmd
/// refuses to store the code on a chain without it.
#[no_mangle]
pub extern "C" fn requires_cosmwasm_2_0() {}

#[no_mangle]
pub extern "C" fn instantiate(env: u32, info: u32, msg: u32) -> u32 {
    abi::call3(env, info, msg, contract::instantiate)
}

#[no_mangle]
pub extern "C" fn execute(env: u32, info: u32, msg: u32) -> u32 {
    abi::call3(env, info, msg, contract::execute)
}

#[no_mangle]
pub extern "C" fn query(env: u32, msg: u32) -> u32 {
    abi::call_query(env, msg, contract::query)
}

#[no_mangle]
pub extern "C" fn reply(env: u32, msg: u32) -> u32 {
    abi::call2(env, msg, contract::reply)
}

#[no_mangle]
pub extern "C" fn sudo(env: u32, msg: u32) -> u32 {
    abi::call2(env, msg, contract::sudo)
}

#[no_mangle]
pub extern "C" fn migrate(env: u32, msg: u32) -> u32 {
    abi::call2(env, msg, contract::migrate)
}

#[no_mangle]
pub extern "C" fn ibc_source_callback(env: u32, msg: u32) -> u32 {
    abi::call2(env, msg, contract::ibc_source_callback)
}
