//! A running client's server list changed: the new configuration (every
//! other setting kept) and what changed, for the log.

use std::fmt;

use gibson_proto::Error;

use crate::config::Addr;

use super::config::ShardConfig;

impl ShardConfig {
    /// The same settings over `servers`, each with its weight: what a
    /// running sharded client's `set_servers` applies. Only the keys whose
    /// server changed move (about 1/N of them when one of N servers is
    /// added).
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2?remove_failed=true".parse()?;
    /// let grown = config.with_servers([("a:1".parse()?, 1), ("c:3".parse()?, 2)])?;
    /// assert_eq!(grown.servers().len(), 2);
    /// assert_eq!(grown.weights(), &[1, 2]);
    /// assert!(grown.remove_failed);
    /// assert!(config.with_servers([]).is_err());
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn with_servers(
        &self,
        servers: impl IntoIterator<Item = (Addr, u32)>,
    ) -> Result<ShardConfig, Error> {
        let (servers, weights) = servers.into_iter().unzip();
        self.over(servers, weights)
    }

    /// The same settings over `servers`, each keeping its weight if it
    /// was listed (a new one has weight 1): a client's `set_servers`.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1/3,b:2".parse()?;
    /// let relisted = config.relisted(["a:1".parse()?, "c:3".parse()?])?;
    /// assert_eq!(relisted.weights(), &[3, 1]);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn relisted(&self, servers: impl IntoIterator<Item = Addr>) -> Result<ShardConfig, Error> {
        let weight = |s: &Addr| {
            let at = self.servers().iter().position(|listed| listed == s);
            at.map_or(1, |i| self.weights()[i])
        };
        let weighted: Vec<(Addr, u32)> = servers
            .into_iter()
            .map(|s| {
                let w = weight(&s);
                (s, w)
            })
            .collect();
        self.with_servers(weighted)
    }

    /// One value per server of this list (a client's pools): the value of
    /// `before` (a list and its values, in its order) for a server it
    /// had, else `new(server's settings)`.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let before: ShardConfig = "a:1,b:2".parse()?;
    /// let after: ShardConfig = "b:2,c:3".parse()?;
    /// let kept = after.carried_over(Some((&before, &["pool a", "pool b"][..])), |_| Ok::<_, ()>("new pool"));
    /// assert_eq!(kept, Ok(vec!["pool b", "new pool"]));
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn carried_over<P: Clone, E>(
        &self,
        before: Option<(&ShardConfig, &[P])>,
        mut new: impl FnMut(crate::Config) -> Result<P, E>,
    ) -> Result<Vec<P>, E> {
        let kept = |server: &Addr| {
            let (list, values) = before?;
            let at = list.servers().iter().position(|s| s == server)?;
            values.get(at).cloned()
        };
        self.servers()
            .iter()
            .zip(self.server_configs())
            .map(|(server, settings)| kept(server).map_or_else(|| new(settings), Ok))
            .collect()
    }

    /// What changed from this configuration's server list to `new`'s;
    /// `None` when the list and its weights are the same (nothing to
    /// apply).
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2".parse()?;
    /// assert!(config.change_to(&config).is_none());
    /// let change = config.change_to(&config.adding("c:3".parse()?, 1)?).unwrap();
    /// assert_eq!(change.to_string(), "added c:3");
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn change_to(&self, new: &ShardConfig) -> Option<Change> {
        let same = self.servers() == new.servers() && self.weights() == new.weights();
        (!same).then(|| Change::between(self.servers(), new.servers()))
    }

    /// The same settings with `server` (of weight `weight`) added at the
    /// end of the list.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2".parse()?;
    /// assert_eq!(config.adding("c:3".parse()?, 1)?.servers().len(), 3);
    /// assert!(config.adding("a:1".parse()?, 1).is_err()); // listed twice
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn adding(&self, server: Addr, weight: u32) -> Result<ShardConfig, Error> {
        let listed = self.servers().iter().cloned().zip(self.weights().to_vec());
        self.with_servers(listed.chain([(server, weight)]))
    }

    /// The same settings without `server`.
    ///
    /// ```
    /// use gibson_policy::shard::ShardConfig;
    /// let config: ShardConfig = "a:1,b:2?replicas=1".parse()?;
    /// assert!(config.removing(&"c:3".parse()?).is_err()); // not listed
    /// assert!(config.removing(&"b:2".parse()?).is_err()); // 2 copies need 2 servers
    /// let config: ShardConfig = "a:1,b:2".parse()?;
    /// assert_eq!(config.removing(&"b:2".parse()?)?.servers().len(), 1);
    /// # Ok::<(), gibson_proto::Error>(())
    /// ```
    pub fn removing(&self, server: &Addr) -> Result<ShardConfig, Error> {
        if !self.servers().contains(server) {
            return Err(Error::invalid(
                "servers",
                format!("{server} is not in the list"),
            ));
        }
        let listed = self.servers().iter().cloned().zip(self.weights().to_vec());
        self.with_servers(listed.filter(|(s, _)| s != server))
    }
}

/// What changed between two server lists: the servers added and removed
/// (a server whose weight changed is in neither).
///
/// ```
/// use gibson_policy::shard::Change;
/// let before = ["a:1".parse()?, "b:2".parse()?];
/// let after = ["b:2".parse()?, "c:3".parse()?];
/// let change = Change::between(&before, &after);
/// assert_eq!(change.to_string(), "added c:3; removed a:1");
/// assert!(Change::between(&before, &before).is_empty());
/// # Ok::<(), gibson_proto::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// In the new list only.
    pub added: Vec<Addr>,
    /// In the old list only.
    pub removed: Vec<Addr>,
}

impl Change {
    /// The change from `old` to `new`.
    pub fn between(old: &[Addr], new: &[Addr]) -> Change {
        Change {
            added: new.iter().filter(|s| !old.contains(s)).cloned().collect(),
            removed: old.iter().filter(|s| !new.contains(s)).cloned().collect(),
        }
    }

    /// `true` when no server was added or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |servers: &[Addr]| {
            servers
                .iter()
                .map(Addr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.added.is_empty(), self.removed.is_empty()) {
            (true, true) => f.write_str("no change"),
            (false, true) => write!(f, "added {}", list(&self.added)),
            (true, false) => write!(f, "removed {}", list(&self.removed)),
            (false, false) => write!(
                f,
                "added {}; removed {}",
                list(&self.added),
                list(&self.removed)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ring's promise when a 4th server joins 3: only the keys the new
    /// server takes move (about a quarter of them), and none moves between
    /// the old servers.
    #[test]
    fn a_fourth_server_takes_a_quarter_of_the_keys_and_only_those() {
        let three: ShardConfig = "cache-0:10128,cache-1:10128,cache-2:10128".parse().unwrap();
        let four = three.adding("cache-3:10128".parse().unwrap(), 1).unwrap();
        let (before, after) = (three.ring(), four.ring());
        let keys: Vec<String> = (0..10_000).map(|i| format!("user:{i}")).collect();
        let mut moved = 0;
        for key in &keys {
            let (was, now) = (
                before.server_for(key.as_bytes()),
                after.server_for(key.as_bytes()),
            );
            if was != now {
                moved += 1;
                assert_eq!(
                    now,
                    Some("cache-3:10128"),
                    "{key} moved between old servers"
                );
            }
        }
        assert!(
            (2_000..=3_000).contains(&moved),
            "{moved} of 10 000 keys moved"
        );
    }
}
