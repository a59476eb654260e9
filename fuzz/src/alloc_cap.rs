//! A global allocator that refuses any single allocation over
//! [`MAX_ALLOCATION`], so that a size taken from untrusted input shows up as
//! a crash in the fuzz binaries and in the corpus replay, without a
//! sanitizer.

// Implementing `GlobalAlloc` takes `unsafe impl` and `unsafe fn`; each method
// only forwards to `System` after a size check.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

/// The largest single allocation allowed: 64 MiB.
pub const MAX_ALLOCATION: usize = 64 << 20;

/// Forwards to [`System`]; aborts the process, with a message naming the
/// size, on any allocation or reallocation over [`MAX_ALLOCATION`].
#[derive(Debug)]
pub struct CappedAllocator;

#[global_allocator]
static GLOBAL: CappedAllocator = CappedAllocator;

#[inline]
fn check(size: usize) {
    if size > MAX_ALLOCATION {
        refuse(size);
    }
}

/// Writes the message without allocating (an allocation here would recurse),
/// then aborts: an allocator must not unwind, and libFuzzer records an
/// abort as a crash together with its input.
#[cold]
#[inline(never)]
fn refuse(size: usize) -> ! {
    const HEAD: &[u8] = b"\ngibson-fuzz: refused an allocation of ";
    const TAIL: &[u8] = b" bytes (over the 64 MiB cap of the fuzz allocator)\n";
    let mut msg = [0u8; HEAD.len() + 20 + TAIL.len()];
    let mut len = 0;
    for part in [HEAD, format_usize(size, &mut [0u8; 20]), TAIL] {
        msg[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    let _ = std::io::stderr().write_all(&msg[..len]);
    std::process::abort();
}

/// `n` in decimal, formatted by `core::fmt` into `buf` (no allocation:
/// `Write` for a byte slice only copies).
fn format_usize(n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut rest = &mut buf[..];
    // 20 digits hold any usize, so the write cannot run out of room.
    let _ = write!(rest, "{n}");
    let len = 20 - rest.len();
    &buf[..len]
}

unsafe impl GlobalAlloc for CappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: `ptr` came from `System` through this allocator; the caller
        // upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes() {
        let mut buf = [0u8; 20];
        assert_eq!(format_usize(0, &mut buf), b"0");
        assert_eq!(format_usize(67_108_865, &mut buf), b"67108865");
        assert_eq!(
            format_usize(usize::MAX, &mut buf),
            usize::MAX.to_string().as_bytes()
        );
    }
}
