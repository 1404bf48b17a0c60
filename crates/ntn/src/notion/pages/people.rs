//! People in a page as ntn shows them: each entry of a people, created-by or
//! last-edited-by property completed from the workspace's users
//! ([`crate::notion::users::Directory`]), so that [`super::props::plain`] reads a person
//! as their email, a bot as its name (its id when another user has that name), and a
//! user nobody knows as their id. The same entries give the same plain values on every
//! read, so the content hash and the frontmatter agree.
//!
//! The users are read only when an entry lacks an email.

use serde_json::{Value, json};

use crate::error::Result;
use crate::notion::users::{Directory, User};

/// Completes the people entries of a page object's properties.
pub fn fill(page: &mut Value, users: &Directory) -> Result<()> {
    let Some(props) = page["properties"].as_object_mut() else {
        return Ok(());
    };
    for prop in props.values_mut() {
        let kind = prop["type"].as_str().unwrap_or("").to_string();
        match kind.as_str() {
            "people" => {
                if let Some(entries) = prop["people"].as_array_mut() {
                    for entry in entries {
                        fill_one(entry, users)?;
                    }
                }
            }
            "created_by" | "last_edited_by" if prop[&kind].is_object() => {
                fill_one(&mut prop[&kind], users)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn fill_one(entry: &mut Value, users: &Directory) -> Result<()> {
    if entry["person"]["email"]
        .as_str()
        .is_some_and(|e| !e.is_empty())
    {
        return Ok(());
    }
    let Some(id) = entry["id"]
        .as_str()
        .and_then(crate::notion::pages::id::normalize)
    else {
        return Ok(());
    };
    *entry = match users.user(&id)? {
        Some(u) if u.email.is_some() => u.to_json(),
        Some(u) if users.name_is_unique(&u.name)? => u.to_json(),
        Some(u) => User {
            name: String::new(),
            ..u
        }
        .to_json(),
        None => json!({"object": "user", "id": id}),
    };
    Ok(())
}
