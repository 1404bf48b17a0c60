//! A wrapper that bounds every call of a store with a timeout.
//!
//! [`Bounded`] runs each call of the store it wraps on a helper thread and
//! gives up after the timeout (5 s; `NTN_KEYCHAIN_TIMEOUT_MS` changes it, for
//! tests: see [`super::Settings`]): a slow or hung keychain daemon gives a
//! clear error ([`StoreErrorKind::TimedOut`]) instead of a stuck command. The
//! abandoned thread is left to finish on its own; after one timeout the
//! wrapper fails fast for the rest of the process, without starting another
//! call that would queue behind the stuck one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Backend, SecretStore, StoreErrorKind, Token, TokenKey, unusable};
use crate::error::Result;

/// Why a call run by [`bounded`] gave no answer.
#[derive(Debug)]
pub enum Unanswered {
    /// It did not finish in time (its thread is abandoned).
    TimedOut(Duration),
    /// No helper thread could be started.
    NoThread(std::io::Error),
    /// The helper thread ended without an answer (it panicked).
    Died,
}

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unanswered::TimedOut(t) => write!(f, "no answer within {} ms", t.as_millis()),
            Unanswered::NoThread(e) => write!(f, "cannot start a thread: {e}"),
            Unanswered::Died => f.write_str("the call failed unexpectedly"),
        }
    }
}

/// Runs `f` on a helper thread named `name` and gives up after `timeout`.
pub fn bounded<T: Send + 'static>(
    name: &str,
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::result::Result<T, Unanswered> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(Unanswered::NoThread)?;
    match rx.recv_timeout(timeout) {
        Ok(v) => Ok(v),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Unanswered::TimedOut(timeout)),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(Unanswered::Died),
    }
}

/// A store whose every call ends within a timeout.
pub struct Bounded<S> {
    inner: Arc<S>,
    /// The store's name in errors, e.g. `Secret Service`.
    store: String,
    /// What does not answer, for people: `the keychain daemon`.
    who: String,
    timeout: Duration,
    /// Set once a call timed out: later calls fail at once with this reason.
    broken: Arc<Mutex<Option<String>>>,
}

impl<S> std::fmt::Debug for Bounded<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bounded")
            .field("store", &self.store)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<S: SecretStore + Send + Sync + 'static> Bounded<S> {
    /// Wraps `inner`; `store` names it in errors (`Secret Service`), `who`
    /// says what did not answer (`the keychain daemon`).
    pub fn new(inner: S, store: &str, who: &str, timeout: Duration) -> Bounded<S> {
        Bounded {
            inner: Arc::new(inner),
            store: store.to_string(),
            who: who.to_string(),
            timeout,
            broken: Arc::default(),
        }
    }

    fn run<T: Send + 'static>(
        &self,
        action: &str,
        f: impl FnOnce(&S) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let broken = self
            .broken
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(reason) = broken {
            return Err(unusable(
                &self.store,
                action,
                StoreErrorKind::TimedOut,
                reason,
            ));
        }
        let inner = Arc::clone(&self.inner);
        match bounded("ntn-keychain", self.timeout, move || f(&inner)) {
            Ok(answer) => answer,
            Err(Unanswered::TimedOut(t)) => {
                let reason = format!("{} did not answer within {} ms", self.who, t.as_millis());
                *self.broken.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.clone());
                Err(unusable(
                    &self.store,
                    action,
                    StoreErrorKind::TimedOut,
                    reason,
                ))
            }
            Err(Unanswered::NoThread(e)) => Err(unusable(
                &self.store,
                action,
                StoreErrorKind::Other,
                "cannot start a thread",
            )
            .cause(&e)),
            Err(Unanswered::Died) => Err(unusable(
                &self.store,
                action,
                StoreErrorKind::Other,
                "the call failed unexpectedly",
            )),
        }
    }
}

impl<S: SecretStore + Send + Sync + 'static> SecretStore for Bounded<S> {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn get(&self, key: &TokenKey) -> Result<Option<Token>> {
        let key = key.clone();
        self.run("read a token", move |s| s.get(&key))
    }

    fn set(&self, key: &TokenKey, token: &Token) -> Result<()> {
        let (key, token) = (key.clone(), token.clone());
        self.run("store a token", move |s| s.set(&key, &token))
    }

    fn delete(&self, key: &TokenKey) -> Result<bool> {
        let key = key.clone();
        self.run("delete a token", move |s| s.delete(&key))
    }

    fn check(&self) -> Result<()> {
        self.run("reach the keychain", |s| s.check())
    }

    fn check_can_store(&self) -> Result<()> {
        self.run("store a token", |s| s.check_can_store())
    }

    fn backend(&self) -> Backend {
        self.inner.backend()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::StoreError;
    use crate::secrets::memory::MemoryStore;
    use std::sync::mpsc;

    /// A store whose `get` waits until the test lets it go.
    struct Stuck(Mutex<mpsc::Receiver<()>>);

    impl SecretStore for Stuck {
        fn describe(&self) -> String {
            "stuck".into()
        }
        fn get(&self, _key: &TokenKey) -> Result<Option<Token>> {
            let _ = self.0.lock().unwrap().recv();
            Ok(None)
        }
        fn set(&self, _key: &TokenKey, _token: &Token) -> Result<()> {
            Ok(())
        }
        fn delete(&self, _key: &TokenKey) -> Result<bool> {
            Ok(false)
        }
        fn backend(&self) -> Backend {
            Backend::Keychain
        }
    }

    #[test]
    fn answers_pass_through() {
        let store = Bounded::new(
            MemoryStore::default(),
            "Memory",
            "memory",
            Duration::from_secs(30),
        );
        let key = TokenKey::prod("w1");
        assert!(store.get(&key).unwrap().is_none());
        store.set(&key, &Token::new("t1")).unwrap();
        assert_eq!(store.get(&key).unwrap().unwrap().expose(), "t1");
        assert!(store.delete(&key).unwrap());
        assert!(!store.delete(&key).unwrap());
        assert_eq!(store.describe(), "memory");
    }

    #[test]
    fn a_call_without_an_answer_times_out_and_later_calls_fail_fast() {
        let (release, rx) = mpsc::channel();
        let store = Bounded::new(
            Stuck(Mutex::new(rx)),
            "Stuck Service",
            "the stuck daemon",
            Duration::from_millis(1),
        );
        let key = TokenKey::prod("w1");
        let e = store.get(&key).unwrap_err();
        let data = e.data::<StoreError>().unwrap();
        assert_eq!(data.kind, StoreErrorKind::TimedOut);
        assert_eq!(data.store, "Stuck Service");
        assert_eq!(data.reason, "the stuck daemon did not answer within 1 ms");
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.hint_text().unwrap().contains("NOTION_KEYRING=0"));
        // The store is not asked again: even a call that would answer fails.
        let e = store.set(&key, &Token::new("t")).unwrap_err();
        assert_eq!(
            e.data::<StoreError>().unwrap().kind,
            StoreErrorKind::TimedOut
        );
        release.send(()).unwrap();
    }
}
