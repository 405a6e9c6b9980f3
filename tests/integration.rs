//! Integration tests, in one binary (one link step): real HTTP servers on
//! 127.0.0.1, a real SQLite file (or PostgreSQL database: TIDINGS_TEST_POSTGRES),
//! the daemon's own code, and real feed clients
//! checking what it serves.

mod support;

mod cli;
mod clients;
mod corpus;
mod crash;
mod daemon;
mod dedup;
mod extraction;
mod fidelity;
mod filters;
mod fulltext;
mod hostile;
mod operations;
mod outputs;
mod pages;
mod polling;
mod postgres;
mod preview;
mod properties;
mod server;
mod service;
mod states;
mod stories;
mod untrusted;
