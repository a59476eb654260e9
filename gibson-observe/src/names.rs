//! Operation names: one static string per command and per batch of one
//! command (`BATCH GET`), so that span names and labels cost no formatting.

use gibson_proto::Opcode;

/// `$then!("NAME", args…)` for `$op`'s name: one arm per opcode, so that
/// each gets a literal (a span name must be one).
macro_rules! by_opcode {
    ($op:expr, $then:ident!($($args:tt)*)) => {
        match $op {
            Opcode::Set => $then!("SET", $($args)*),
            Opcode::Ttl => $then!("TTL", $($args)*),
            Opcode::Get => $then!("GET", $($args)*),
            Opcode::Del => $then!("DEL", $($args)*),
            Opcode::Inc => $then!("INC", $($args)*),
            Opcode::Dec => $then!("DEC", $($args)*),
            Opcode::Lock => $then!("LOCK", $($args)*),
            Opcode::Unlock => $then!("UNLOCK", $($args)*),
            Opcode::Mset => $then!("MSET", $($args)*),
            Opcode::Mttl => $then!("MTTL", $($args)*),
            Opcode::Mget => $then!("MGET", $($args)*),
            Opcode::Mdel => $then!("MDEL", $($args)*),
            Opcode::Minc => $then!("MINC", $($args)*),
            Opcode::Mdec => $then!("MDEC", $($args)*),
            Opcode::Mlock => $then!("MLOCK", $($args)*),
            Opcode::Munlock => $then!("MUNLOCK", $($args)*),
            Opcode::Count => $then!("COUNT", $($args)*),
            Opcode::Stats => $then!("STATS", $($args)*),
            Opcode::Ping => $then!("PING", $($args)*),
            Opcode::Meta => $then!("META", $($args)*),
            Opcode::Keys => $then!("KEYS", $($args)*),
            Opcode::End => $then!("END", $($args)*),
        }
    };
}
#[cfg(feature = "tracing")]
pub(crate) use by_opcode;

/// How many opcodes there are.
#[cfg(feature = "metrics")]
const OPCODES: usize = Opcode::ALL.len();

/// Operation names: each opcode, a batch of each, and `PIPELINE`.
#[cfg(feature = "metrics")]
pub(crate) const SLOTS: usize = 2 * OPCODES + 1;

/// `op`'s place among the opcodes (`END` is the last).
#[cfg(feature = "metrics")]
pub(crate) fn slot(op: Opcode) -> usize {
    match op {
        Opcode::End => OPCODES - 1,
        op => usize::from(op.code()) - 1,
    }
}

/// The name of a pipeline of other commands than one kind.
pub(crate) const PIPELINE: &str = "PIPELINE";

/// What a pipeline of `ops` is called: how OpenTelemetry names a batch.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) enum Batch {
    /// One command: named after it, not a batch.
    One(Opcode),
    /// Two or more (or no) commands, all `Some(op)` or of several kinds.
    Many(Option<Opcode>, usize),
}

impl Batch {
    pub(crate) fn of(ops: &[Opcode]) -> Batch {
        match ops {
            [op] => Batch::One(*op),
            [first, rest @ ..] if rest.iter().all(|op| op == first) => {
                Batch::Many(Some(*first), ops.len())
            }
            _ => Batch::Many(None, ops.len()),
        }
    }

    /// Where the duration histogram of its name is kept for a server
    /// (see [`SLOTS`]).
    #[cfg(feature = "metrics")]
    pub(crate) fn slot(self) -> usize {
        match self {
            Batch::One(op) => slot(op),
            Batch::Many(Some(op), _) => OPCODES + slot(op),
            Batch::Many(None, _) => 2 * OPCODES,
        }
    }

    /// `db.operation.name`: `GET`, `BATCH GET` or `PIPELINE`.
    #[cfg(feature = "metrics")]
    pub(crate) fn name(self) -> &'static str {
        macro_rules! batch {
            ($name:literal,) => {
                concat!("BATCH ", $name)
            };
        }
        match self {
            Batch::One(op) => op.name(),
            Batch::Many(Some(op), _) => by_opcode!(op, batch!()),
            Batch::Many(None, _) => PIPELINE,
        }
    }
}
