//! Trellis domain: the pure types and rules of the service management system.
//!
//! Nothing here performs I/O or reads the clock: instants come in as values, so every rule
//! (lifecycles, authorisation, the journal hash chain) is testable with plain data.

pub mod access;
pub mod agreement;
pub mod article;
pub mod attachment;
pub mod calendar;
pub mod calendar_text;
pub mod ci;
pub mod complaint;
pub mod impact;
pub mod import;
pub mod incident;
pub mod journal;
pub mod lifecycle;
pub mod link;
pub mod notification;
pub mod offering;
pub mod problem;
pub mod record;
pub mod report;
pub mod review;
pub mod saved_filter;
pub mod search;
pub mod service;
pub mod service_request;
pub mod sla;
pub mod supplier;
pub mod validation;

pub use jiff::Timestamp;
