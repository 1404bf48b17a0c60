//! Who `me` and an email are in `--where`: the person the token belongs to and the
//! workspace's people, as [`crate::notion::users::Directory`] reads them (once, only
//! when used).

use super::compile::People;
use crate::error::Result;
pub use crate::notion::users::Directory;

impl People for Directory {
    fn me(&self) -> Result<String> {
        Directory::me(self).map_err(|e| {
            if e.message().starts_with("`me`") {
                crate::error::Error::usage(format!("--where: {}", e.message()))
                    .hint("name the person by email instead: Owner = alice@example.com")
            } else {
                e
            }
        })
    }

    fn by_email(&self, email: &str) -> Result<Option<String>> {
        Directory::by_email(self, email)
    }
}
