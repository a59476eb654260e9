//! What the `gibson` command shares with `gibson-bench`: which servers the
//! command line names ([`servers`]) and the exit codes ([`exit`]). The
//! `gibson` binary itself is the crate's product; this library exists so
//! that both tools read `-a/-p/-u` and exit alike.

pub mod exit;
pub mod servers;
