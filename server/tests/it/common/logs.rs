//! Capturing what the app logs, in a test binary whose tests run side by
//! side on threads of one process.
//!
//! A scoped subscriber (`tracing::subscriber::set_default`) is not enough
//! there: tracing caches, per call site, whether anybody listens, and while
//! only one dispatcher is registered it asks the *current thread's* one. A
//! call site first reached by another test (no subscriber: "never") then
//! stays silent on the capturing thread too, and the capture comes back
//! empty. So the process gets one global subscriber, installed once, that
//! every call site asks on every event ("sometimes"), and that lets an event
//! through only on a thread that is capturing, into that thread's buffer.
use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

type Buffer = Arc<Mutex<Vec<u8>>>;

thread_local! {
    /// The buffer of this thread's capture, while there is one.
    static CAPTURING: RefCell<Option<Buffer>> = const { RefCell::new(None) };
}

fn capturing() -> Option<Buffer> {
    CAPTURING.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Writes into the current thread's capture (or nowhere).
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(buffer) = capturing()
            && let Ok(mut v) = buffer.lock()
        {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct ToThread;

impl<'a> MakeWriter<'a> for ToThread {
    type Writer = ThreadWriter;
    fn make_writer(&'a self) -> Self::Writer {
        ThreadWriter
    }
}

fn install_once() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(ToThread)
            .with_ansi(false)
            // Every level, but only on a capturing thread: decided per event,
            // so no call site is ever cached as silent.
            .with_filter(filter_fn(|_| capturing().is_some()));
        tracing::subscriber::set_global_default(Registry::default().with(layer))
            .expect("no other global subscriber in the test binary");
    });
}

/// Everything logged, at every level, on this thread until dropped. The
/// test must run on this thread (`#[tokio::test]`'s current-thread runtime)
/// for the app's logs to land here.
pub struct Capture(Buffer);

impl Capture {
    pub fn start() -> Capture {
        install_once();
        let buffer = Buffer::default();
        CAPTURING.with(|c| *c.borrow_mut() = Some(buffer.clone()));
        Capture(buffer)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("logs")).into_owned()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = CAPTURING.try_with(|c| c.borrow_mut().take());
    }
}
