//! What a runtime answers when an address names a Unix socket on a target
//! without Unix sockets.

use std::path::Path;

/// The error for connecting to, or binding, the Unix socket at `path` on a
/// target without Unix sockets (Windows, WASI…): the runtime crates build
/// there with TCP only.
///
/// ```
/// use std::io::ErrorKind;
/// let err = gibson_proto::unix_sockets_unsupported("/tmp/gibson.sock".as_ref());
/// assert_eq!(err.kind(), ErrorKind::Unsupported);
/// assert!(err.to_string().contains("/tmp/gibson.sock"));
/// ```
pub fn unix_sockets_unsupported(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        format!(
            "{}: Unix sockets are not available on this platform; use a TCP address",
            path.display()
        ),
    )
}
