//! The `server_connection` target: arbitrary byte streams into one
//! `gibson-server` connection handler.

/// Feeds `data` to a `gibson-server` connection handler (its first byte
/// picks the read chunk size; the rest is the stream). The handler must
/// never panic, must drop the connection on a bad frame, and its buffers
/// and key store must stay bounded: `gibson_server::fuzz_connection`
/// asserts those bounds.
pub fn server_connection(data: &[u8]) {
    gibson_server::fuzz_connection(data);
}
