//! The `trellis` binary's library half: configuration, starting the server, the demo data and
//! the benchmark, so that integration tests drive exactly what the binary runs.

pub mod bench;
pub mod bench_impact;
pub mod bench_queue;
pub mod bench_recompute;
pub mod bench_search;
pub mod config;
pub mod demo;
pub mod demo_agreements;
pub mod demo_catalogue;
pub mod server;
