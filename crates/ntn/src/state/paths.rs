//! Which directory holds ntn's state.
//!
//! `NOTION_HOME` when set (it must be an existing directory; files directly
//! inside). Otherwise the first of these that exists: `$XDG_CONFIG_HOME/notion`
//! (when `XDG_CONFIG_HOME` is an absolute path), `~/.config/notion`,
//! `~/.notion`. So state the official tool left in `~/.notion` is found
//! whatever `XDG_CONFIG_HOME` says. When none exists, the first of the list is
//! the one ntn creates (0700) the first time it writes.
//!
//! `~` is `HOME`. On Windows, where `HOME` is usually unset, it is
//! `USERPROFILE` (which Windows sets in every session to the profile folder,
//! the known folder `FOLDERID_Profile`), else `HOME` (as some Unix-like shells
//! on Windows set it); so `%USERPROFILE%\.config\notion`. All of them are read
//! from the command's [`Vars`].
//!
//! A config directory that other users may write to (group- or world-writable)
//! is refused on Unix: anyone could plant a token or a workspace there. On
//! Windows the profile folder's access control list keeps other users out.

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
    /// `XDG_CONFIG_HOME`, `HOME`) and refuses one that others may write to.
    pub fn resolve(vars: &Vars) -> Result<ConfigDir> {
        let dir = ConfigDir::locate(vars)?;
        check_not_shared(&dir.path)?;
        Ok(dir)
    }

    /// Resolves the directory without checking its permissions.
    pub fn locate(vars: &Vars) -> Result<ConfigDir> {
        ConfigDir::locate_for(vars, cfg!(windows))
    }

    /// [`ConfigDir::locate`] with Windows' rules or Unix's.
    pub fn locate_for(vars: &Vars, windows: bool) -> Result<ConfigDir> {
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
                .hint(if windows {
                    format!(
                        "create it first (mkdir \"{}\"), or unset NOTION_HOME",
                        home.display()
                    )
                } else {
                    format!(
                        "create it first (mkdir -m 700 {}), or unset NOTION_HOME",
                        shell_quote(&home)
                    )
                })
                .cause(&e)),
            };
        }
        let mut candidates: Vec<ConfigDir> = Vec::new();
        if let Some(xdg) = non_empty("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
            candidates.push(ConfigDir {
                path: xdg.join("notion"),
                rule: DirRule::XdgConfigHome,
            });
        }
        match home_dir(vars, windows) {
            Some(home) => {
                candidates.push(ConfigDir {
                    path: home.join(".config").join("notion"),
                    rule: DirRule::DotConfig,
                });
                candidates.push(ConfigDir {
                    path: home.join(".notion"),
                    rule: DirRule::DotNotion,
                });
            }
            None if candidates.is_empty() => {
                let home = if windows { "USERPROFILE" } else { "HOME" };
                return Err(Error::local(format!(
                    "cannot find a config directory: {home} is not set"
                ))
                .hint(format!(
                    "set NOTION_HOME to an existing directory, or set {home}"
                )));
            }
            None => {}
        }
        let first_existing = candidates
            .iter()
            .position(|c| std::fs::symlink_metadata(&c.path).is_ok())
            .unwrap_or(0);
        Ok(candidates.swap_remove(first_existing))
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

/// The user's home directory: `HOME`; on Windows `USERPROFILE`, else `HOME`.
pub fn home_dir(vars: &Vars, windows: bool) -> Option<PathBuf> {
    if windows {
        vars.path("USERPROFILE").or_else(|| vars.path("HOME"))
    } else {
        vars.path("HOME")
    }
}

/// Refuses an existing directory that users other than its owner may write
/// to (group- or world-writable, sticky or not), or that belongs to another
/// user (Unix; as ssh does, root's is accepted).
pub fn check_not_shared(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        check_not_shared_for(dir, crate::state::files::current_uid())
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// [`check_not_shared`] for the user `uid` (a test passes another).
#[cfg(unix)]
pub fn check_not_shared_for(dir: &Path, uid: u32) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(m) = std::fs::metadata(dir) else {
        return Ok(());
    };
    if !m.is_dir() {
        return Ok(());
    }
    if crate::state::files::owned_by_another(m.uid(), uid) {
        return Err(crate::state::files::foreign_owner(dir, m.uid(), uid, true));
    }
    if m.permissions().mode() & 0o022 != 0 {
        let mode = m.permissions().mode() & 0o7777;
        return Err(Error::local(format!(
            "the config directory {} is writable by other users (mode {mode:04o}); \
             ntn will not keep or trust logins there",
            dir.display()
        ))
        .hint(format!(
            "make it private with `chmod 700 {}`, or set NOTION_HOME to a directory of your own",
            shell_quote(dir)
        )));
    }
    Ok(())
}

pub(crate) fn shell_quote(p: &Path) -> String {
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
    fn the_first_existing_directory_of_the_order_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_path_buf();
        let both = || {
            lookup(vec![
                ("HOME", home.clone()),
                ("XDG_CONFIG_HOME", home.join("xdg")),
            ])
        };
        // Nothing exists: the first of the order.
        let d = ConfigDir::resolve(&both()).unwrap();
        assert_eq!(d.path, home.join("xdg/notion"));
        assert_eq!(d.rule, DirRule::XdgConfigHome);
        let d = ConfigDir::resolve(&lookup(vec![("HOME", home.clone())])).unwrap();
        assert_eq!(d.path, home.join(".config/notion"));
        assert_eq!(d.rule, DirRule::DotConfig);

        // State left by the official tool in ~/.notion is found, whatever
        // XDG_CONFIG_HOME says.
        std::fs::create_dir(home.join(".notion")).unwrap();
        let d = ConfigDir::resolve(&lookup(vec![("HOME", home.clone())])).unwrap();
        assert_eq!(d.path, home.join(".notion"));
        assert_eq!(d.rule, DirRule::DotNotion);
        assert_eq!(
            ConfigDir::resolve(&both()).unwrap().rule,
            DirRule::DotNotion
        );

        // ...unless an earlier one exists too.
        std::fs::create_dir_all(home.join(".config/notion")).unwrap();
        assert_eq!(
            ConfigDir::resolve(&both()).unwrap().rule,
            DirRule::DotConfig
        );
        std::fs::create_dir_all(home.join("xdg/notion")).unwrap();
        assert_eq!(
            ConfigDir::resolve(&both()).unwrap().rule,
            DirRule::XdgConfigHome
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_may_write_to_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        for (mode, ok) in [
            (0o700, true),
            (0o755, true),
            (0o775, false),
            (0o1777, false),
        ] {
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode)).unwrap();
            let r = ConfigDir::resolve(&lookup(vec![("NOTION_HOME", tmp.path().into())]));
            assert_eq!(r.is_ok(), ok, "{mode:o}");
            if let Err(e) = r {
                assert_eq!(e.exit_code().code(), 1);
                assert!(
                    e.message().contains("writable by other users"),
                    "{}",
                    e.message()
                );
                assert!(e.hint_text().unwrap().contains("chmod 700"));
            }
        }
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_of_another_user_is_refused() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let owner = std::fs::metadata(tmp.path()).unwrap().uid();
        assert!(check_not_shared_for(tmp.path(), owner).is_ok());
        let e = if owner == 0 {
            // Root's directories are trusted by everyone, as ssh trusts them;
            // root itself refuses a directory given to another user.
            assert!(check_not_shared_for(tmp.path(), 4242).is_ok());
            std::os::unix::fs::chown(tmp.path(), Some(4242), Some(4242)).unwrap();
            check_not_shared_for(tmp.path(), 0).unwrap_err()
        } else {
            // Seen by another user, whose directory this is not.
            check_not_shared_for(tmp.path(), owner + 4242).unwrap_err()
        };
        assert_eq!(e.exit_code().code(), 1);
        assert!(
            e.message().contains("belongs to another user"),
            "{}",
            e.message()
        );
        let hint = e.hint_text().unwrap();
        assert!(
            hint.contains("chown") && hint.contains("NOTION_HOME"),
            "{hint}"
        );
    }

    #[test]
    fn no_home_is_a_clear_error() {
        let e = ConfigDir::resolve(&lookup(vec![])).unwrap_err();
        assert_eq!(e.exit_code().code(), 1);
        assert!(e.hint_text().unwrap().contains("NOTION_HOME"));
        let e = ConfigDir::locate_for(&lookup(vec![]), true).unwrap_err();
        assert!(
            e.message().contains("USERPROFILE is not set"),
            "{}",
            e.message()
        );
        // USERPROFILE means nothing outside Windows.
        let profile = lookup(vec![("USERPROFILE", "/profile".into())]);
        assert!(ConfigDir::locate_for(&profile, false).is_err());
    }

    #[test]
    fn windows_homes_are_the_profile_then_home() {
        let tmp = tempfile::tempdir().unwrap();
        let profile = tmp.path().join("profile");
        let home = tmp.path().join("home");
        let both = lookup(vec![
            ("USERPROFILE", profile.clone()),
            ("HOME", home.clone()),
        ]);
        let d = ConfigDir::locate_for(&both, true).unwrap();
        assert_eq!(d.path, profile.join(".config").join("notion"));
        assert_eq!(d.rule, DirRule::DotConfig);
        // Elsewhere HOME it is.
        let d = ConfigDir::locate_for(&both, false).unwrap();
        assert_eq!(d.path, home.join(".config").join("notion"));
        // Without USERPROFILE, HOME; ~/.notion of the official tool is found.
        std::fs::create_dir_all(home.join(".notion")).unwrap();
        let d = ConfigDir::locate_for(&lookup(vec![("HOME", home.clone())]), true).unwrap();
        assert_eq!(d.path, home.join(".notion"));
        assert_eq!(d.rule, DirRule::DotNotion);
        // An empty USERPROFILE is as good as unset.
        let d = ConfigDir::locate_for(
            &lookup(vec![
                ("USERPROFILE", PathBuf::new()),
                ("HOME", home.clone()),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(d.path, home.join(".notion"));
    }
}
