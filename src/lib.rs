//! aom-conformance: a contract and conformance harness for Huawei Cloud AOM APIs.
//!
//! Data flows one way: [`spec`] (case files) → [`plan`] (resolved, validated cases) →
//! [`runner`] (libtest-mimic trials) → outcomes → [`report`] (console, JUnit).
//! [`mock`] is the reference AOM endpoint; [`auth`] holds the one request signer that
//! both the client and the mock use.

pub mod auth;
pub mod check;
pub mod cli;
pub mod errors;
pub mod http;
pub mod mock;
pub mod plan;
pub mod report;
pub mod runner;
pub mod schema;
pub mod spec;
pub mod sys;
pub mod target;
pub mod template;
