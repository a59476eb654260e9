//! The `gibson.namespace` label of the commands sent through a labelled
//! namespace: set for the duration of the call (or of each poll of its
//! future), read where the operation's metrics are recorded.

use std::future::Future;

/// A namespace's metrics label: none by default. Empty without the
/// `metrics` feature.
#[derive(Debug, Clone, Default)]
pub struct Label {
    #[cfg(feature = "metrics")]
    name: Option<std::sync::Arc<str>>,
}

impl Label {
    /// The label `name`, reported as `gibson.namespace`. Keep the set of
    /// names small: each is a time series of every metric it touches.
    /// Without the `metrics` feature, the empty label.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub fn new(name: impl Into<std::sync::Arc<str>>) -> Label {
        Label {
            #[cfg(feature = "metrics")]
            name: Some(name.into()),
        }
    }
}

#[cfg(feature = "metrics")]
thread_local! {
    static CURRENT: std::cell::RefCell<Option<std::sync::Arc<str>>> =
        const { std::cell::RefCell::new(None) };
}

/// The label of the namespace the current operation goes through.
#[cfg(feature = "metrics")]
pub(crate) fn current() -> Option<std::sync::Arc<str>> {
    CURRENT.with_borrow(Clone::clone)
}

/// `work()` with `label` as the current namespace label (if it has a
/// name; an unnamed one leaves an outer label in place).
#[inline(always)]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub fn with_label<T>(label: &Label, work: impl FnOnce() -> T) -> T {
    #[cfg(feature = "metrics")]
    if let Some(name) = &label.name {
        /// Puts the outer label back, even on unwind.
        struct Restore(Option<std::sync::Arc<str>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.set(self.0.take());
            }
        }
        let _restore = Restore(CURRENT.replace(Some(name.clone())));
        return work();
    }
    work()
}

#[cfg(feature = "metrics")]
pin_project_lite::pin_project! {
    /// A future polled with a namespace label current.
    #[derive(Debug)]
    pub struct Labelled<F> {
        label: Label,
        #[pin]
        fut: F,
    }
}

#[cfg(feature = "metrics")]
impl<F: Future> Future for Labelled<F> {
    type Output = F::Output;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        with_label(this.label, || this.fut.poll(cx))
    }
}

/// `fut`, polled with `label` as the current namespace label.
#[cfg(feature = "metrics")]
pub fn labelled<F: Future>(label: &Label, fut: F) -> Labelled<F> {
    Labelled {
        label: label.clone(),
        fut,
    }
}

/// `fut` itself (without the `metrics` feature).
#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub fn labelled<F: Future>(_label: &Label, fut: F) -> F {
    fut
}
