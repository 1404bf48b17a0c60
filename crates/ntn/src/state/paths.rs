//! Which directory holds ntn's state.
//!
//! In order: `NOTION_HOME` (must be an existing directory; files directly
//! inside), `$XDG_CONFIG_HOME/notion`, `~/.config/notion`, `~/.notion`. A user of
//! the official ntn keeps their state: when `~/.config/notion` does not exist
//! but `~/.notion` does, `~/.notion` is used (that is where the official tool
//! writes when `~/.config` is missing).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::vars::Vars;

/// The rule that chose the config directory (shown by `ntn debug`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirRule {
    NotionHome,
    XdgConfigHome,
    DotConfig,
    DotNotion,
}

impl DirRule {
    pub fn describe(self) -> &'static str {
        match self {
            DirRule::NotionHome => "NOTION_HOME",
            DirRule::XdgConfigHome => "$XDG_CONFIG_HOME/notion",
            DirRule::DotConfig => "~/.config/notion",
            DirRule::DotNotion => "~/.notion",
        }
    }
}

/// The resolved config directory. It may not exist yet; see
/// [`crate::state::State::ensure_dir`].
#[derive(Clone, Debug)]
pub struct ConfigDir {
    pub path: PathBuf,
    pub rule: DirRule,
}

impl ConfigDir {
    /// Resolves the directory from the variables (`NOTION_HOME`,
    /// `XDG_CONFIG_HOME`, `HOME`).
    pub fn resolve(vars: &Vars) -> Result<ConfigDir> {
        let non_empty = |k: &str| vars.path(k);
        if let Some(home) = non_empty("NOTION_HOME") {
            return match std::fs::metadata(&home) {
                Ok(m) if m.is_dir() => Ok(ConfigDir {
                    path: home,
                    rule: DirRule::NotionHome,
                }),
                Ok(_) => Err(Error::local(format!(
                    "NOTION_HOME is not a directory: {}",
                    home.display()
                ))
                .hint("point NOTION_HOME at an existing directory, or unset it")),
                Err(e) => Err(Error::local(format!(
                    "NOTION_HOME does not exist: {}",
                    home.display()
                ))
                .hint(format!(
                    "create it first (mkdir -m 700 {}), or unset NOTION_HOME",
                    shell_quote(&home)
                ))
                .cause(&e)),
            };
        }
        if let Some(xdg) = non_empty("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
            return Ok(ConfigDir {
                path: xdg.join("notion"),
                rule: DirRule::XdgConfigHome,
            });
        }
        let Some(home) = non_empty("HOME") else {
            return Err(
                Error::local("cannot find a config directory: HOME is not set")
                    .hint("set NOTION_HOME to an existing directory, or set HOME"),
            );
        };
        let dot_config = home.join(".config").join("notion");
        let dot_notion = home.join(".notion");
        if !dot_config.exists() && dot_notion.is_dir() {
            return Ok(ConfigDir {
                path: dot_notion,
                rule: DirRule::DotNotion,
            });
        }
        Ok(ConfigDir {
            path: dot_config,
            rule: DirRule::DotConfig,
        })
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-~".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: Vec<(&'static str, PathBuf)>) -> Vars {
        Vars::from_pairs(pairs)
    }

    #[test]
    fn notion_home_must_exist_and_be_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let d = ConfigDir::resolve(&lookup(vec![("NOTION_HOME", tmp.path().into())])).unwrap();
        assert_eq!(d.rule, DirRule::NotionHome);
        assert_eq!(d.path, tmp.path());

        let missing = tmp.path().join("nope");
        let e = ConfigDir::resolve(&lookup(vec![("NOTION_HOME", missing)])).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.message().contains("does not exist"));

        let file = tmp.path().join("f");
        std::fs::write(&file, "").unwrap();
        let e = ConfigDir::resolve(&lookup(vec![("NOTION_HOME", file)])).unwrap_err();
        assert!(e.message().contains("not a directory"));
    }

    #[test]
    fn order_is_xdg_then_dot_config_then_dot_notion() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_path_buf();
        let d = ConfigDir::resolve(&lookup(vec![
            ("HOME", home.clone()),
            ("XDG_CONFIG_HOME", home.join("xdg")),
        ]))
        .unwrap();
        assert_eq!(d.path, home.join("xdg/notion"));
        assert_eq!(d.rule, DirRule::XdgConfigHome);

        let d = ConfigDir::resolve(&lookup(vec![("HOME", home.clone())])).unwrap();
        assert_eq!(d.path, home.join(".config/notion"));

        // State left by the official tool in ~/.notion is found.
        std::fs::create_dir(home.join(".notion")).unwrap();
        let d = ConfigDir::resolve(&lookup(vec![("HOME", home.clone())])).unwrap();
        assert_eq!(d.path, home.join(".notion"));
        assert_eq!(d.rule, DirRule::DotNotion);

        // ...unless ~/.config/notion exists too.
        std::fs::create_dir_all(home.join(".config/notion")).unwrap();
        let d = ConfigDir::resolve(&lookup(vec![("HOME", home.clone())])).unwrap();
        assert_eq!(d.rule, DirRule::DotConfig);
    }

    #[test]
    fn no_home_is_a_clear_error() {
        let e = ConfigDir::resolve(&lookup(vec![])).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.hint_text().unwrap().contains("NOTION_HOME"));
    }
}
