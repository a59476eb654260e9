//! Runs a [`Request`] on a blocking connection: its command's method
//! ([`dispatch`]), then a new connection next time after `END`.

use gibson_blocking::{Connection, Error};

use crate::commands::{dispatch, Request};
use crate::output::Output;

/// Sends `req` and maps the typed result to what is printed.
pub(crate) fn execute(conn: &mut Connection, req: Request) -> Result<Output, Error> {
    let end = req == Request::End;
    let out = dispatch(conn, req)?;
    if end {
        // The server closes the connection: open a new one next time.
        conn.disconnect();
    }
    Ok(out)
}
