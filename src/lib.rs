//! aom-conformance: a contract and conformance harness for Huawei Cloud AOM APIs.
//!
//! Data flows one way: `spec` (case files) → `plan` (resolved, validated cases) →
//! `runner` (libtest-mimic trials) → `check` (typed mismatches) → events → `report`
//! (console, JUnit, JSON, HTML). [`mock`] is the reference AOM endpoint; [`auth`] holds
//! the one request signer that both the client and the mock use.
//!
//! Public: what the binary ([`cli`]), the tests and the benches use; the stages are
//! private, so the compiler finds what nothing uses.

pub mod auth;
mod baseline;
mod check;
pub mod cli;
mod errors;
mod fidelity;
mod http;
pub mod mock;
mod net;
mod plan;
mod rate;
mod report;
mod runner;
mod schema;
mod spec;
pub use spec::limits;
mod sys;
mod target;
mod template;
