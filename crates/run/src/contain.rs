//! Panics caused by hostile input are the input's fault, not the run's.
//!
//! Reading a feed or a page runs code over bytes a stranger wrote. Should that code ever
//! panic, the run must go on, the document must be recorded as failed with the reason,
//! and cron mail must get one clean line rather than a panic message and a backtrace.
//! [`contain`] runs a closure under `catch_unwind` with a flag that the process's panic
//! hook reads: a contained panic is not printed but handed back as an error message;
//! every other panic still prints as Rust prints it.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
    static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook that keeps contained panics quiet; called once at start-up.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CONTAINED.get() {
                let payload = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                let at = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                MESSAGE.set(Some(format!("{payload}{at}")));
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside it comes back as `Err` with its message and location.
pub fn contain<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was = CONTAINED.replace(true);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CONTAINED.set(was);
    result.map_err(|_| MESSAGE.take().unwrap_or_else(|| "a panic".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contained_panic_is_an_error_with_its_message() {
        install();
        let got: Result<(), String> = contain(|| panic!("bad byte {}", 7));
        let message = got.unwrap_err();
        assert!(message.starts_with("bad byte 7 at "), "{message}");
        assert!(message.contains("contain.rs"), "{message}");
        assert_eq!(contain(|| 3), Ok(3));
    }
}
