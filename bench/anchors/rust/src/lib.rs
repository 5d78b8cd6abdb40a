//! lib.rs: what rtb-tokio and rtb-async-std share: the protocol, the HTTP parser and small helpers.
//!
//! The two binaries differ only in the runtime they are written for; everything that is not
//! about the runtime (argument parsing, the stdout protocol, the byte pattern, the parser) lives
//! here once, so a difference in the figures is a difference between the runtimes.

pub mod cli;
pub mod http;
pub mod util;
