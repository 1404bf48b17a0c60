//! Who `me` and an email are in `--where`: the person the token belongs to
//! (`GET /v1/users/me`) and the workspace's people (`GET /v1/users`, read
//! once, only when an email is used).

use std::cell::OnceCell;

use serde_json::Value;

use super::compile::People;
use crate::error::{Error, Result};
use crate::http::RetryPolicy;
use crate::notion::Notion;

/// The workspace's people, as the API shows them to this token.
pub struct Directory<'a> {
    notion: &'a Notion,
    /// (id, email) of every person, once read.
    people: OnceCell<Vec<(String, String)>>,
}

impl<'a> Directory<'a> {
    pub fn new(notion: &'a Notion) -> Directory<'a> {
        Directory {
            notion,
            people: OnceCell::new(),
        }
    }

    fn people(&self) -> Result<&[(String, String)]> {
        if let Some(p) = self.people.get() {
            return Ok(p);
        }
        let mut all = Vec::new();
        let req = self.notion.request("GET", "/v1/users?page_size=100");
        let mut pages = self.notion.pages(req, None, RetryPolicy::default())?;
        while let Some(resp) = pages.next_page()? {
            let page: Value = resp.json()?;
            for u in page["results"].as_array().into_iter().flatten() {
                if let (Some(id), Some(email)) = (u["id"].as_str(), u["person"]["email"].as_str()) {
                    all.push((id.to_string(), email.to_string()));
                }
            }
        }
        Ok(self.people.get_or_init(|| all))
    }
}

impl People for Directory<'_> {
    fn me(&self) -> Result<String> {
        let me = self.notion.get("/v1/users/me")?;
        let id = match me["type"].as_str() {
            Some("person") => me["id"].as_str(),
            Some("bot") if me["bot"]["owner"]["type"] == "user" => {
                me["bot"]["owner"]["user"]["id"].as_str()
            }
            _ => None,
        };
        id.map(str::to_string).ok_or_else(|| {
            Error::usage(
                "--where: `me` is nobody here: the token belongs to an integration of the \
                 workspace, not to a person",
            )
            .hint("name the person by email instead: Owner = alice@example.com")
        })
    }

    fn by_email(&self, email: &str) -> Result<Option<String>> {
        Ok(self
            .people()?
            .iter()
            .find(|(_, e)| e.eq_ignore_ascii_case(email.trim()))
            .map(|(id, _)| id.clone()))
    }
}
