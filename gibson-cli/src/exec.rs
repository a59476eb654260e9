//! Runs a [`Request`] as its typed command on a blocking connection.

use bytes::Bytes;
use gibson_blocking::{cmd, Connection, Error, Value};

use crate::output::Output;
use crate::parse::Request;

/// Sends `req` and maps the typed result to what is printed.
pub(crate) fn execute(conn: &mut Connection, req: Request) -> Result<Output, Error> {
    let found = |b: bool| if b { Output::Ok } else { Output::NotFound };
    Ok(match req {
        Request::Set { ttl, key, value } => {
            Output::Value(conn.execute(cmd::Set::new(key, value, ttl))?)
        }
        Request::Ttl { key, ttl } => found(conn.execute(cmd::SetTtl::new(key, ttl))?),
        Request::Get(key) => match conn.execute(cmd::Get::<_, Value>::new(key))? {
            Some(v) => Output::Value(v),
            None => Output::Nil,
        },
        Request::Del(key) => found(conn.execute(cmd::Del::new(key))?),
        Request::Inc(key) => Output::Int(conn.execute(cmd::Inc::new(key))?),
        Request::Dec(key) => Output::Int(conn.execute(cmd::Dec::new(key))?),
        Request::Lock { key, time } => found(conn.execute(cmd::Lock::new(key, time))?),
        Request::Unlock(key) => found(conn.execute(cmd::Unlock::new(key))?),
        Request::Mset { prefix, value } => {
            Output::Count(conn.execute(cmd::Mset::new(prefix, value))?)
        }
        Request::Mttl { prefix, ttl } => Output::Count(conn.execute(cmd::Mttl::new(prefix, ttl))?),
        Request::Mget { prefix, limit } => {
            let mget = cmd::Mget::<_, Bytes, Value>::new(prefix);
            let mget = match limit {
                Some(n) => mget.limit(n),
                None => mget,
            };
            Output::Pairs(conn.execute(mget)?)
        }
        Request::Mdel(p) => Output::Count(conn.execute(cmd::Mdel::new(p))?),
        Request::Minc(p) => Output::Count(conn.execute(cmd::Minc::new(p))?),
        Request::Mdec(p) => Output::Count(conn.execute(cmd::Mdec::new(p))?),
        Request::Mlock { prefix, time } => {
            Output::Count(conn.execute(cmd::Mlock::new(prefix, time))?)
        }
        Request::Munlock(p) => Output::Count(conn.execute(cmd::Munlock::new(p))?),
        Request::Count(p) => Output::Count(conn.execute(cmd::Count::new(p))?),
        Request::Stats => Output::Pairs(conn.execute(cmd::GetStats)?.raw),
        Request::Ping => {
            conn.execute(cmd::Ping)?;
            Output::Ok
        }
        Request::Meta { key, field } => match conn.execute(cmd::Meta::new(key, field))? {
            Some(n) => Output::Int(n),
            None => Output::Nil,
        },
        Request::Keys(p) => Output::Keys(conn.execute(cmd::Keys::<_, Bytes>::new(p))?),
        Request::End => {
            conn.execute(cmd::End)?;
            // The server closes the connection: open a new one next time.
            conn.disconnect();
            Output::Ok
        }
    })
}
