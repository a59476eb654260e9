//! A server of the sharded client stops answering under multi-key calls:
//! the shared scenarios of `gibson_test_support::dead_shard`, those of
//! copies of keys and hedged reads (`gibson_test_support::replicas`) and,
//! in `server_list`, those of a server list that changes while the client
//! runs (`gibson_test_support::server_list`), under async-std and under
//! smol.

gibson_test_support::suite!(dead_shard, runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]);
