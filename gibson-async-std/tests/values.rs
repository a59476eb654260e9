//! The shared serde values suite: a struct through `Json`, `Postcard` and
//! `MsgPack` by GET and MGET, and a value that does not decode; values that
//! survive change (`skew`: `Lenient` and `Compressed`).

gibson_test_support::suite!(values, runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]);
