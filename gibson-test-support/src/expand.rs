//! What the suites written as macros share: their two modes (an async
//! client run by a `run` function, a blocking one) and how a test connects
//! a client of the crate under test.

/// Calls `$crate::$suite!(@tests …)` with the pieces of a mode: the runner,
/// what wraps a test's body (`async move` or nothing), what follows a call
/// (`.await` or nothing), and how to connect.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_modes {
    ($suite:ident, async, run: $run:path, connect: |$cfg:ident| $connect:expr) => {
        $crate::$suite!(@tests ($run) (async move) (.await) |$cfg| $connect);
    };
    ($suite:ident, blocking, connect: |$cfg:ident| $connect:expr) => {
        $crate::$suite!(@tests ($crate::conformance::run_blocking) () () |$cfg| $connect);
    };
}

/// Defines, where a suite's tests are expanded, `client!(config)`: a
/// client connected with `config`; `connected!()`: the test server (it
/// must outlive the client) and a client of it; `suite_test!(fn name() {
/// … })`: a test whose body the mode's runner runs; and
/// `connected_test!(fn name(c) { … })`: such a test whose body has a
/// connected client, named `c`.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_clients {
    (($run:path) ($($wrap:tt)*) |$cfg:ident| $connect:expr) => {
        #[allow(unused_macros)]
        macro_rules! client {
            ($config:expr) => {{
                let $cfg = $config;
                $connect.expect("connect")
            }};
        }

        #[allow(unused_macros)]
        macro_rules! connected {
            () => {{
                let server = $crate::TestServer::start();
                let client = client!(server.config());
                (server, client)
            }};
        }

        #[allow(unused_macros)]
        macro_rules! suite_test {
            (fn $name:ident() $body:block) => {
                #[test]
                fn $name() {
                    $run($($wrap)* $body)
                }
            };
        }

        #[allow(unused_macros)]
        macro_rules! connected_test {
            (fn $name:ident($c:ident) $body:block) => {
                suite_test!(fn $name() {
                    #[allow(unused_mut)]
                    let (_server, mut $c) = connected!();
                    $body
                });
            };
        }
    };
}
