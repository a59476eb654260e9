//! The exit codes of `gibson` and `gibson-bench`, and their error line.

use std::io::Write;

use gibson_proto::Error;

/// Exit code: a server error reply (ERR, NAN, MEM, LOCKED).
pub const EXIT_SERVER: i32 = 1;
/// Exit code: invalid arguments.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: connection, timeout or protocol error.
pub const EXIT_CONNECTION: i32 = 3;

/// The exit code for a failed command.
///
/// ```
/// use gibson_cli::exit::{exit_code, EXIT_USAGE};
/// assert_eq!(exit_code(&gibson_proto::Error::invalid("ttl", "must be positive")), EXIT_USAGE);
/// ```
pub fn exit_code(e: &Error) -> i32 {
    match e {
        Error::Server { .. } => EXIT_SERVER,
        Error::InvalidArgument { .. } => EXIT_USAGE,
        _ => EXIT_CONNECTION,
    }
}

/// Prints one error line (`error: …`) to stderr.
///
/// ```
/// gibson_cli::exit::print_error(&"no server at 127.0.0.1:10128");
/// ```
pub fn print_error(msg: &dyn std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "error: {msg}");
}
