//! Integration tests: the real server on a random port, driven over HTTP, on SQLite always and on
//! PostgreSQL when `TEST_DATABASE_URL` is set (each test in its own schema).

mod access;
mod agreements;
mod bad_input;
mod baselines;
mod catalogue;
mod cli;
mod cmdb;
mod helpers;
mod import;
mod knowledge;
mod major;
mod notifications;
mod offerings;
mod ops;
mod platform;
mod problems;
mod recompute;
mod reports;
mod requests;
mod schema;
mod sla;
mod smtp_sink;
mod surveys;
mod ui;
mod workspace;
