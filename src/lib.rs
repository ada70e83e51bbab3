//! pingxuan (评选): service-award evaluation for government service centers.
//!
//! The library holds everything; `main.rs` only parses the command line and calls [`cli`]. The server, the
//! demo loader and the tests all go through [`http::app`] and [`server::serve`].

pub mod charts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod demo_assessment;
pub mod demo_citywide;
pub mod demo_county;
pub mod demo_rounds;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod password;
pub mod scoring;
pub mod server;
pub mod sheets;

pub use http::{AppState, app};
