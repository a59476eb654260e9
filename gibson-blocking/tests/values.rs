//! The shared serde values suite: a struct through `Json`, `Postcard` and
//! `MsgPack` by GET and MGET, and a value that does not decode; values that
//! survive change (`skew`: `Lenient` and `Compressed`).

gibson_test_support::suite!(values, client: gibson_blocking, runtimes: [blocking]);
