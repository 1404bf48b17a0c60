//! The workspace's users as ntn shows and names them (people properties of pages,
//! `--where` conditions): a person by email, a bot by name (by id when the name is not
//! unique), anyone unknown by id; and back from an email, a name, `me` or an id to a
//! user id.
//!
//! [`Directory`] reads what it needs once per command, and only when asked:
//! `GET /v1/users` (every page of it), `GET /v1/users/{id}` for a user the list lacks
//! (Notion leaves guests out of the list, and personal access tokens cannot list users
//! at all), and `GET /v1/users/me` for `me`.
//!
//! For `ntn users`: [`list_all`] (the users as the API sent them, or why Notion refused
//! the list), [`lookup`] (one user object by id, email or unique name), [`me`], and how
//! a user object reads ([`kind`], [`owner`]).

use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

use super::Notion;
use crate::error::{Error, Result};
use crate::http::{ApiError, RetryPolicy};
use crate::output::text::clean;

/// What people values are, for hints.
pub const FORMS: &str = "people are emails, names, `me` or user ids";

/// A user as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    /// Empty when the API gave none.
    pub name: String,
    /// A person's email (when the token may read emails).
    pub email: Option<String>,
    pub bot: bool,
}

impl User {
    /// A user object (`{"object": "user", "id": …, …}`), full or partial.
    pub fn from_json(u: &Value) -> Option<User> {
        let id = super::pages::id::normalize(u["id"].as_str()?)?;
        Some(User {
            id,
            name: u["name"].as_str().unwrap_or("").to_string(),
            email: u["person"]["email"]
                .as_str()
                .filter(|e| !e.is_empty())
                .map(str::to_string),
            bot: u["type"] == "bot",
        })
    }

    /// The user object, as the API writes a full one (name and email only when known).
    pub fn to_json(&self) -> Value {
        let mut v = json!({"object": "user", "id": self.id});
        if !self.name.is_empty() {
            v["name"] = json!(self.name);
        }
        if self.bot {
            v["type"] = json!("bot");
        } else if let Some(e) = &self.email {
            v["type"] = json!("person");
            v["person"] = json!({ "email": e });
        }
        v
    }

    /// How the user reads in a list: the email, else the name, else the id.
    pub fn label(&self) -> &str {
        self.email
            .as_deref()
            .or(Some(self.name.as_str()).filter(|n| !n.is_empty()))
            .unwrap_or(&self.id)
    }
}

/// Whether `user`'s name is nobody else's among `all`.
pub fn unique_name(user: &User, all: &[User]) -> bool {
    !user.name.is_empty() && !all.iter().any(|u| u.name == user.name && u.id != user.id)
}

/// Who `given` names among `users`: an id (as is, known or not), an email (any case),
/// or a name (exact, else in any case). `Ok(None)` when nobody; a name several people
/// have is an error listing them.
pub fn find(given: &str, users: &[User]) -> Result<Option<String>> {
    let given = given.trim();
    if let Some(id) = super::pages::id::normalize(given) {
        return Ok(Some(id));
    }
    if given.contains('@') {
        return Ok(users
            .iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(given))
            })
            .map(|u| u.id.clone()));
    }
    let mut named: Vec<&User> = users.iter().filter(|u| u.name == given).collect();
    if named.is_empty() {
        let lower = given.to_lowercase();
        named = users
            .iter()
            .filter(|u| !u.name.is_empty() && u.name.to_lowercase() == lower)
            .collect();
    }
    named.dedup_by(|a, b| a.id == b.id);
    match named.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.id.clone())),
        many => Err(Error::local(format!(
            "{} people are named {:?}",
            many.len(),
            clean(given)
        ))
        .hint(format!(
            "say which one by email (or id): {}",
            many.iter()
                .map(|u| clean(if u.email.is_some() { u.label() } else { &u.id }))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Who a value of a people property names (what writing one needs of [`Directory`]).
pub trait Lookup {
    /// The user id `given` names: `me`, an id, an email or a name, looked up among
    /// `also` (the people the property has now) first.
    fn resolve(&self, given: &str, also: &[User]) -> Result<String>;

    /// How the user with this id reads (email, else name, else id), for showing a
    /// change.
    fn label(&self, id: &str, also: &[User]) -> String {
        also.iter()
            .find(|u| u.id == id)
            .map_or(id, User::label)
            .to_string()
    }
}

/// Ids and the people a property has now only: no requests.
pub struct Offline;

impl Lookup for Offline {
    fn resolve(&self, given: &str, also: &[User]) -> Result<String> {
        find(given, also)?.ok_or_else(|| {
            Error::local(format!("no person {:?} known here", clean(given))).hint(FORMS)
        })
    }
}

/// The users list as read: who is in it, or why it could not be read.
struct Listed {
    users: Vec<User>,
    /// The API's answer when it refused the list (403: no user capability, or a
    /// personal access token).
    refused: Option<String>,
}

/// The workspace's users, read from the API as needed (once per command).
pub struct Directory {
    notion: Notion,
    list: OnceLock<Listed>,
    /// Users read one by one (`None`: no such user to this token).
    more: Mutex<Vec<(String, Option<User>)>>,
    me: OnceLock<String>,
}

fn is_status(e: &Error, status: &[u16]) -> bool {
    e.data::<ApiError>()
        .is_some_and(|a| status.contains(&a.status))
}

impl Directory {
    pub fn new(notion: &Notion) -> Directory {
        Directory {
            notion: notion.clone(),
            list: OnceLock::new(),
            more: Mutex::new(Vec::new()),
            me: OnceLock::new(),
        }
    }

    fn listed(&self) -> Result<&Listed> {
        if let Some(l) = self.list.get() {
            return Ok(l);
        }
        let mut users = Vec::new();
        let mut refused = None;
        let req = self.notion.request("GET", "/v1/users?page_size=100");
        let read = (|| -> Result<()> {
            let mut pages = self.notion.pages(req, None, RetryPolicy::default())?;
            while let Some(resp) = pages.next_page()? {
                let page: Value = resp.json()?;
                users.extend(
                    page["results"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(User::from_json),
                );
            }
            Ok(())
        })();
        match read {
            Ok(()) => {}
            Err(e) if is_status(&e, &[403]) => {
                users.clear();
                refused = Some(
                    e.data::<ApiError>()
                        .and_then(|a| a.message.clone())
                        .unwrap_or_else(|| e.message().to_string()),
                );
            }
            Err(e) => return Err(e),
        }
        Ok(self.list.get_or_init(|| Listed { users, refused }))
    }

    /// The users the list has (none when the token may not list them).
    pub fn users(&self) -> Result<&[User]> {
        Ok(&self.listed()?.users)
    }

    /// A user by id: from the list, else read by its id (`None` when the API does not
    /// know it, or will not say).
    pub fn user(&self, id: &str) -> Result<Option<User>> {
        if let Some(u) = self.users()?.iter().find(|u| u.id == id) {
            return Ok(Some(u.clone()));
        }
        let more = || self.more.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, u)) = more().iter().find(|(i, _)| i == id) {
            return Ok(u.clone());
        }
        let found = match self.notion.get(&format!("/v1/users/{id}")) {
            Ok(v) => User::from_json(&v),
            Err(e) if is_status(&e, &[400, 403, 404]) => None,
            Err(e) => return Err(e),
        };
        more().push((id.to_string(), found.clone()));
        Ok(found)
    }

    /// Whether no other listed user has `user`'s name (unknown, so no, when the list
    /// could not be read).
    pub fn name_is_unique(&self, user: &User) -> Result<bool> {
        let l = self.listed()?;
        Ok(l.refused.is_none() && unique_name(user, &l.users))
    }

    /// The person the token belongs to: a person's token is them; an integration's
    /// token is the person who owns it, when a person does.
    pub fn me(&self) -> Result<String> {
        if let Some(id) = self.me.get() {
            return Ok(id.clone());
        }
        let me = self.notion.get("/v1/users/me")?;
        let id = match me["type"].as_str() {
            Some("person") => me["id"].as_str(),
            Some("bot") if me["bot"]["owner"]["type"] == "user" => {
                me["bot"]["owner"]["user"]["id"].as_str()
            }
            _ => None,
        };
        let id = id.map(str::to_string).ok_or_else(|| {
            Error::local(
                "`me` is nobody here: the token belongs to an integration of the workspace, \
                 not to a person",
            )
            .hint("name the person by email instead (alice@example.com)")
        })?;
        Ok(self.me.get_or_init(|| id).clone())
    }

    /// The id of the person with this email, if the list has one (an error when the
    /// list could not be read).
    pub fn by_email(&self, email: &str) -> Result<Option<String>> {
        let l = self.listed()?;
        if let Some(why) = &l.refused {
            return Err(refused(why));
        }
        find(email, &l.users)
    }

    /// The user id `given` names for a people property: `me`, an id, an email or a
    /// name, looked up among `also` (the people the property has now) and the listed
    /// users.
    fn resolve_user(&self, given: &str, also: &[User]) -> Result<String> {
        let given = given.trim();
        if given.eq_ignore_ascii_case("me") {
            return self.me();
        }
        if let Some(id) = super::pages::id::normalize(given) {
            return Ok(id);
        }
        if let Some(id) = find(given, also)? {
            return Ok(id);
        }
        let l = self.listed()?;
        let mut all: Vec<User> = l.users.clone();
        for u in also {
            if !all.iter().any(|a| a.id == u.id) {
                all.push(u.clone());
            }
        }
        if let Some(id) = find(given, &all)? {
            return Ok(id);
        }
        if let Some(why) = &l.refused {
            return Err(Error::local(format!("no person {:?} known here", clean(given)))
                .hint(format!(
                    "{}; this token cannot list the workspace's people ({}), so name them by user id or `me`",
                    FORMS,
                    clean(why)
                )));
        }
        let what = if given.contains('@') {
            format!("nobody in this workspace has the email {:?}", clean(given))
        } else {
            format!(
                "nobody in this workspace is named {:?}{}",
                clean(given),
                crate::notion::pages::props::did_you_mean(
                    given,
                    all.iter()
                        .map(|u| u.name.as_str())
                        .filter(|n| !n.is_empty())
                )
            )
        };
        Err(Error::local(what).hint(format!(
            "{FORMS}; `ntn api v1/users --paginate` lists the people of the workspace \
             (not its guests: name a guest by user id)"
        )))
    }
}

impl Lookup for Directory {
    fn resolve(&self, given: &str, also: &[User]) -> Result<String> {
        self.resolve_user(given, also)
    }

    fn label(&self, id: &str, also: &[User]) -> String {
        if let Some(u) = also.iter().find(|u| u.id == id) {
            return u.label().to_string();
        }
        match self.user(id) {
            Ok(Some(u)) if u.email.is_some() || self.name_is_unique(&u).unwrap_or(false) => {
                u.label().to_string()
            }
            _ => id.to_string(),
        }
    }
}

fn refused(why: &str) -> Error {
    Error::api(format!(
        "the workspace's people cannot be listed with this token: {}",
        clean(why)
    ))
    .hint("name people by user id or `me` (personal access tokens, and integrations without the user information capability, cannot list users)")
}

/// Every user the token may list (`GET /v1/users`, every page), as the API sent them.
/// Notion refuses the list (403) to personal access tokens and to integrations without
/// the user information capability: that is an error saying so, whose hint names what
/// still works (reading one user by id).
pub fn list_all(notion: &Notion) -> Result<Vec<Value>> {
    let mut users = Vec::new();
    let req = notion.request("GET", "/v1/users?page_size=100");
    let read = (|| -> Result<()> {
        let mut pages = notion.pages(req, None, RetryPolicy::default())?;
        while let Some(resp) = pages.next_page()? {
            let page: Value = resp.json()?;
            let items = page["results"].as_array().ok_or_else(|| {
                Error::api("the server sent a list of users without results")
                    .hint("try again later")
            })?;
            users.extend(items.iter().cloned());
        }
        Ok(())
    })();
    match read {
        Ok(()) => Ok(users),
        Err(e) if is_status(&e, &[403]) => Err(list_refused(&e)),
        Err(e) => Err(e),
    }
}

/// The error for a users list Notion refused (`e`, a 403).
fn list_refused(e: &Error) -> Error {
    let api = e.data::<ApiError>().cloned();
    let why = api
        .as_ref()
        .and_then(|a| a.message.clone())
        .unwrap_or_else(|| e.message().to_string());
    let err = Error::api(format!(
        "Notion refused to list the workspace's users: {}",
        clean(&why)
    ))
    .hint(
        "personal access tokens, and integrations without the user information capability, \
         cannot list users; `ntn users get ID` still reads one user by id, `ntn users me` the token's own",
    );
    match api {
        Some(a) => err.with_data(a),
        None => err,
    }
}

/// The token's own user (`GET /v1/users/me`): a bot for an integration's token.
pub fn me(notion: &Notion) -> Result<Value> {
    notion.get("/v1/users/me")
}

/// The user object `given` names: an id (read by id: guests and bots too), else an
/// email (any case) or a unique name among the listed users. Nobody is an error, with
/// a "did you mean" for names.
pub fn lookup(notion: &Notion, given: &str) -> Result<Value> {
    let given = given.trim();
    if let Some(id) = super::pages::id::normalize(given) {
        return notion.get(&format!("/v1/users/{id}")).map_err(|e| {
            match e.data::<ApiError>().filter(|a| a.status == 404) {
                Some(a) => Error::api(format!(
                    "no user {id} in this workspace (or none this token may read)"
                ))
                .hint("`ntn users list` lists the workspace's members and bots")
                .with_data(a.clone()),
                None => e,
            }
        });
    }
    if given.is_empty() {
        return Err(Error::usage("no user given").hint("give a user id, an email or a name"));
    }
    let raw = list_all(notion).map_err(|e| {
        if is_status(&e, &[403]) {
            Error::api(format!(
                "{:?} cannot be looked up by email or name: {}",
                clean(given),
                e.message()
            ))
            .hint("give the user's id: `ntn users get ID` reads one user by id")
        } else {
            e
        }
    })?;
    let users: Vec<User> = raw.iter().filter_map(User::from_json).collect();
    match find(given, &users)? {
        Some(id) => Ok(raw
            .into_iter()
            .find(|u| u["id"].as_str().and_then(super::pages::id::normalize) == Some(id.clone()))
            .unwrap_or_else(|| json!({"object": "user", "id": id}))),
        None if given.contains('@') => Err(Error::local(format!(
            "nobody in this workspace has the email {:?}",
            clean(given)
        ))
        .hint("`ntn users list` lists the members and bots (not guests: read a guest by id)")),
        None => Err(Error::local(format!(
            "nobody in this workspace is named {:?}{}",
            clean(given),
            super::pages::props::did_you_mean(
                given,
                users
                    .iter()
                    .map(|u| u.name.as_str())
                    .filter(|n| !n.is_empty())
            )
        ))
        .hint("`ntn users list` lists the members and bots (not guests: read a guest by id)")),
    }
}

/// A user object's type: `person`, `bot`, or what else the API said (empty for a
/// partial user).
pub fn kind(u: &Value) -> &str {
    u["type"].as_str().unwrap_or("")
}

/// Who owns a bot user, as it reads: the owning person (name and email when Notion
/// gives them, else the id), or `the workspace`; `None` when Notion does not say (or
/// `u` is no bot).
pub fn owner(u: &Value) -> Option<String> {
    let owner = &u["bot"]["owner"];
    match owner["type"].as_str()? {
        "workspace" => Some("the workspace".to_string()),
        "user" => {
            let person = &owner["user"];
            let name = person["name"].as_str().filter(|n| !n.is_empty());
            let email = person["person"]["email"].as_str().filter(|e| !e.is_empty());
            let id = person["id"].as_str().unwrap_or("");
            Some(match (name, email) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (Some(n), None) => n.to_string(),
                (None, Some(e)) => e.to_string(),
                (None, None) if !id.is_empty() => id.to_string(),
                (None, None) => return None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: u8, name: &str, email: Option<&str>, bot: bool) -> User {
        User {
            id: format!("aaaaaaaa-0000-4000-8000-0000000000{id:02}"),
            name: name.into(),
            email: email.map(str::to_string),
            bot,
        }
    }

    #[test]
    fn people_are_found_by_id_email_or_unique_name() {
        let all = vec![
            user(1, "Alice Example", Some("alice@acme.test"), false),
            user(2, "Sam", Some("sam1@acme.test"), false),
            user(3, "Sam", Some("sam2@acme.test"), false),
            user(4, "Build bot", None, true),
        ];
        let id = |n: u8| Some(format!("aaaaaaaa-0000-4000-8000-0000000000{n:02}"));
        assert_eq!(find("ALICE@acme.test", &all).unwrap(), id(1));
        assert_eq!(find("Alice Example", &all).unwrap(), id(1));
        assert_eq!(find("alice example", &all).unwrap(), id(1));
        assert_eq!(find("Build bot", &all).unwrap(), id(4));
        assert_eq!(
            find("aaaaaaaa000040008000000000000099", &all).unwrap(),
            id(99)
        );
        assert_eq!(find("nobody@acme.test", &all).unwrap(), None);
        assert_eq!(find("Bob", &all).unwrap(), None);
        let e = find("Sam", &all).unwrap_err();
        assert_eq!(e.message(), "2 people are named \"Sam\"");
        assert_eq!(
            e.hint_text(),
            Some("say which one by email (or id): sam1@acme.test, sam2@acme.test")
        );
        assert!(unique_name(&all[0], &all));
        assert!(!unique_name(&all[1], &all));
        assert!(unique_name(&user(5, "Deploy bot", None, true), &all));
        assert!(!unique_name(&user(6, "Sam", None, true), &all));
    }

    #[test]
    fn users_read_from_full_and_partial_objects() {
        let full = json!({"object": "user", "id": "aaaaaaaa-0000-4000-8000-000000000001",
            "type": "person", "name": "Alice", "person": {"email": "alice@acme.test"}});
        let u = User::from_json(&full).unwrap();
        assert_eq!(u.label(), "alice@acme.test");
        assert_eq!(User::from_json(&u.to_json()).unwrap(), u);
        let partial = json!({"object": "user", "id": "aaaaaaaa000040008000000000000001"});
        let p = User::from_json(&partial).unwrap();
        assert_eq!(p.label(), "aaaaaaaa-0000-4000-8000-000000000001");
        assert_eq!(User::from_json(&json!({"object": "user"})), None);
    }
}
