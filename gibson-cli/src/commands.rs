//! The commands of the tool, taken from gibson-proto's one command list:
//! each entry's `cli` clause (documented in gibson-proto's `macros.rs`)
//! becomes a [`Request`](crate::parse::Request) variant, a row of
//! [`COMMANDS`](crate::parse::COMMANDS), the reading of its arguments, and
//! the call and printing of its result. Nothing here names a command.
//!
//! `gibson_proto::__gibson_command_list!([crate::commands::cli_commands] @parse)`
//! expands, in `parse.rs`, into `Request`, `COMMANDS` and `read_args`;
//! `… @exec`, in `exec.rs`, into `dispatch`.

/// Expands the command list in mode `@parse` or `@exec` (see the module).
macro_rules! cli_commands {
    // One call of a command's method; with an optional argument, the other
    // method when it is given.
    (call $conn:ident $print:ident $name:ident ($($a:ident : $t:ty),*)) => {
        print::$print($conn.$name($($a),*)?)
    };
    (call $conn:ident $print:ident $name:ident ($($a:ident : $t:ty),*) $of:ident => $with:ident) => {
        match $of {
            None => print::$print($conn.$name($($a),*)?),
            Some($of) => print::$print($conn.$with($($a,)* $of)?),
        }
    };
    (#parse $(
        $v:ident $({ $($f:ident : $k:ident),+ $(; $of:ident : $ok:ident => $with:ident)? })?
        $name:ident $params:tt $print:ident $help:literal;
    )*) => {
        /// One command with its arguments (in the command's order), ready to run.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub(crate) enum Request {
            $(
                #[doc = $help]
                $v $({
                    $($f: $crate::parse::arg_type!($k),)+
                    $($of: Option<$crate::parse::arg_type!($ok)>)?
                })?,
            )*
        }

        /// Each command's name, argument names and a one-line description,
        /// for usage messages and `:help`.
        pub(crate) const COMMANDS: &[(&str, &str, &str)] = &[$((
            gibson_proto::Opcode::$v.name(),
            $crate::parse::arg_usage!($($($k $f),+ $(; $ok $of)?)?),
            $help,
        ),)*];

        /// Reads the arguments of `a`'s command.
        fn read_args(a: &mut ArgReader<'_>) -> Result<Request, ParseError> {
            Ok(match a.op {
                $(gibson_proto::Opcode::$v => {
                    $(
                        $(let $f = a.$k($crate::parse::arg_label!($k $f))?;)+
                        $(let $of = a.optional(|a| a.$ok($crate::parse::arg_label!($ok $of)))?;)?
                    )?
                    Request::$v { $($($f,)+ $($of)?)? }
                })*
            })
        }
    };
    (#exec $(
        $v:ident $({ $($f:ident : $k:ident),+ $(; $of:ident : $ok:ident => $with:ident)? })?
        $name:ident $params:tt $print:ident $help:literal;
    )*) => {
        /// Runs `req` as its command's method and maps the typed result to
        /// what is printed.
        pub(crate) fn dispatch(
            conn: &mut impl gibson_blocking::Commands,
            req: Request,
        ) -> Result<Output, Error> {
            Ok(match req {
                $(Request::$v { $($($f,)+ $($of)?)? } => $crate::commands::cli_commands!(
                    call conn $print $name $params $($($of => $with)?)?
                ),)*
            })
        }
    };
    // The list as gibson-proto hands it over: keeps the entries with a `cli`
    // clause, in the shorter form of the two modes above.
    (@$mode:ident $(
        $ex:literal $(#[$m:meta])* $name:ident [$($g:tt)*] $params:tt -> $out:ty = $cmd:expr
        $(, cli {
            $v:ident $(($($f:ident : $k:ident),+ $(, [$of:ident : $ok:ident => $with:ident])?))?
            prints $print:ident $help:literal
        })?;
    )*) => {
        $crate::commands::cli_commands!(#$mode $($(
            $v $({ $($f: $k),+ $(; $of: $ok => $with)? })? $name $params $print $help;
        )?)*);
    };
}

pub(crate) use cli_commands;
