//! People in a page as ntn shows them: each entry of a people, created-by or
//! last-edited-by property completed from the workspace's users
//! ([`crate::notion::users::Directory`]), so that [`super::props::plain`] reads a person
//! as their email, a bot as its name (its id when another user has that name), and a
//! user nobody knows as their id. The same entries give the same plain values on every
//! read, so the content hash and the frontmatter agree.
//!
//! The users are read only when an entry lacks an email.

use serde_json::Value;

use crate::error::Result;
use crate::notion::users::{Directory, User, unique_name};

/// Completes the people entries of a page object's properties.
pub fn fill(page: &mut Value, users: &Directory) -> Result<()> {
    let mut entries = entries(page);
    // Who each entry is (read only for entries without an email).
    let mut found: Vec<Option<User>> = Vec::with_capacity(entries.len());
    for entry in &entries {
        let has_email = entry["person"]["email"]
            .as_str()
            .is_some_and(|e| !e.is_empty());
        found.push(if has_email {
            None
        } else {
            match entry["id"]
                .as_str()
                .and_then(crate::notion::pages::id::normalize)
            {
                Some(id) => Some(users.user(&id)?.unwrap_or(User {
                    id,
                    name: String::new(),
                    email: None,
                    bot: false,
                })),
                None => None,
            }
        });
    }
    let on_page: Vec<User> = found.iter().flatten().cloned().collect();
    for (entry, user) in entries.iter_mut().zip(found) {
        let Some(u) = user else {
            continue;
        };
        **entry = if u.email.is_some() || (users.name_is_unique(&u)? && unique_name(&u, &on_page)) {
            u.to_json()
        } else {
            User {
                name: String::new(),
                ..u
            }
            .to_json()
        };
    }
    Ok(())
}

/// The user entries of a page's people, created-by and last-edited-by properties.
fn entries(page: &mut Value) -> Vec<&mut Value> {
    let mut out = Vec::new();
    let Some(props) = page["properties"].as_object_mut() else {
        return out;
    };
    for prop in props.values_mut() {
        let kind = prop["type"].as_str().unwrap_or("").to_string();
        match kind.as_str() {
            "people" => {
                if let Some(a) = prop["people"].as_array_mut() {
                    out.extend(a.iter_mut());
                }
            }
            "created_by" | "last_edited_by" if prop[&kind].is_object() => {
                out.push(&mut prop[&kind]);
            }
            _ => {}
        }
    }
    out
}
