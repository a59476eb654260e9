//! One macro for builder-style setters, so that gibson-policy's `Config`
//! and gibson-server's `Builder` each list their setters instead of
//! writing every one out.

/// Expands each `name(arg: Type) => field.path;` into
/// `pub fn name(mut self, arg: Type) -> Self` that stores `arg` in
/// `self.field.path` (doc comments are kept).
///
/// ```
/// #[derive(Default)]
/// struct Options {
///     inner: Inner,
/// }
/// #[derive(Default)]
/// struct Inner {
///     size: usize,
/// }
/// impl Options {
///     gibson_proto::__setters! {
///         /// Sets the size.
///         size(bytes: usize) => inner.size;
///     }
/// }
/// assert_eq!(Options::default().size(7).inner.size, 7);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __setters {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty) => $($field:ident).+;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.$($field).+ = $arg;
                self
            }
        )*
    };
}
