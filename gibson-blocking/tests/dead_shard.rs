//! A server of the sharded client stops answering under multi-key calls:
//! the shared scenarios of `gibson_test_support::dead_shard`, those of
//! copies of keys and hedged reads (`gibson_test_support::replicas`) and,
//! in `server_list`, those of a server list that changes while the client
//! runs (`gibson_test_support::server_list`), blocking.

gibson_test_support::suite!(dead_shard, client: gibson_blocking, runtimes: [blocking]);
