// Shared by the examples: the server address, from GIBSON_ADDR or an
// embedded gibson-server started for the example's lifetime.

/// The URL to connect to, and the embedded server if one was started.
pub(crate) fn server() -> (String, Option<gibson_server::Server>) {
    match std::env::var("GIBSON_ADDR") {
        Ok(addr) if !addr.is_empty() => (addr, None),
        _ => {
            let server = gibson_server::Server::builder()
                .bind_tcp("127.0.0.1:0")
                .expect("start the embedded server");
            let url = format!("gibson://{}", server.addr());
            println!("(no GIBSON_ADDR: using an embedded server at {url})");
            (url, Some(server))
        }
    }
}
