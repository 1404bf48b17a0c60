//! Editing text in the user's editor: `$VISUAL`, else `$EDITOR`, else `vi`, run through
//! the shell (so `EDITOR="code --wait"` works) on a private temporary file, with the
//! variables a child may see (never `NOTION_API_TOKEN`). Callers open an editor only on
//! a terminal. While the editor runs, SIGINT is the editor's (ntn holds it, as git does:
//! [`crate::support::Hold`]), and the temporary file is removed in every case.

use std::io::Write;
use std::process::Command;

use crate::error::{Error, Result};
use crate::vars::Vars;

/// Attached to the error of an editor that failed after the file was changed: the text
/// it had saved (the edit is not applied; a caller may keep it).
#[derive(Clone, Debug)]
pub struct Unapplied(pub String);

impl std::fmt::Display for Unapplied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the editor failed after the file was changed")
    }
}

impl std::error::Error for Unapplied {}

/// The editor command: `VISUAL`, else `EDITOR`, else `vi`.
pub fn command(vars: &Vars) -> String {
    vars.value("VISUAL")
        .or_else(|| vars.value("EDITOR"))
        .unwrap_or("vi")
        .to_string()
}

/// Opens `initial` in the editor (a file named `*<suffix>`) and returns the text the
/// user saved. An editor that fails leaves nothing changed.
pub fn edit(initial: &str, vars: &Vars, suffix: &str) -> Result<String> {
    let mut file = tempfile::Builder::new()
        .prefix("ntn-")
        .suffix(suffix)
        .tempfile()
        .map_err(|e| Error::local("could not create a file to edit").cause(&e))?;
    file.write_all(initial.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| Error::local("could not write the file to edit").cause(&e))?;
    let path = file.path().to_path_buf();
    let editor = command(vars);
    let mut cmd = shell(&editor, &path);
    cmd.env_clear();
    for (k, v) in vars.for_child() {
        cmd.env(k, v);
    }
    let status = {
        // Ctrl-C goes to the editor (in the same process group); ntn stays.
        let _hold = crate::support::Hold::start();
        cmd.status()
    }
    .map_err(|e| {
        Error::local(format!(
            "could not start the editor ({})",
            crate::output::text::clean(&editor)
        ))
        .hint("set VISUAL or EDITOR to your editor's command")
        .cause(&e)
    })?;
    if !status.success() {
        let mut e = Error::local(format!(
            "the editor ({}) exited with {status}; nothing was changed",
            crate::output::text::clean(&editor)
        ));
        // What it had saved by then is the caller's to keep.
        if let Ok(text) = std::fs::read_to_string(&path)
            && text != initial
        {
            e = e.with_data(Unapplied(text));
        }
        return Err(e);
    }
    std::fs::read_to_string(&path)
        .map_err(|e| Error::local("could not read the edited file back").cause(&e))
}

/// Whether the editor command is plain words (no quotes, variables, operators,
/// assignments, globs): the shell can then `exec` it, so the editor is ntn's own child
/// and a Ctrl-C the editor handles cannot end a waiting shell instead.
#[cfg(unix)]
fn plain_words(editor: &str) -> bool {
    !editor.is_empty()
        && !editor
            .chars()
            .any(|c| "|&;<>()$`\\\"'*?[]#~=%{}!\n".contains(c))
}

#[cfg(unix)]
fn shell(editor: &str, path: &std::path::Path) -> Command {
    let exec = if plain_words(editor) { "exec " } else { "" };
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!("{exec}{editor} \"$1\""))
        .arg("sh")
        .arg(path);
    cmd
}

#[cfg(not(unix))]
fn shell(editor: &str, path: &std::path::Path) -> Command {
    let mut parts = editor.split_whitespace();
    let mut cmd = Command::new(parts.next().unwrap_or("notepad"));
    cmd.args(parts).arg(path);
    cmd
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_editor_edits_a_file_and_sees_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("ed.sh");
        let seen = dir.path().join("seen");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"token=${{NOTION_API_TOKEN:-none}}\" > {}\nsed -i 's/old/new/' \"$1\"\n",
                seen.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let vars = Vars::from_pairs([
            ("EDITOR", script.to_str().unwrap()),
            ("NOTION_API_TOKEN", "secret"),
            ("PATH", "/usr/bin:/bin"),
        ]);
        assert_eq!(edit("old text\n", &vars, ".md").unwrap(), "new text\n");
        assert_eq!(std::fs::read_to_string(&seen).unwrap(), "token=none\n");
        let failing = Vars::from_pairs([("VISUAL", "false"), ("PATH", "/usr/bin:/bin")]);
        let e = edit("x", &failing, ".md").unwrap_err();
        assert!(e.data::<Unapplied>().is_none(), "nothing was written");
        // An editor that fails after writing: its text comes with the error.
        let failing = Vars::from_pairs([
            ("VISUAL", "sed -i s/x/y/ \"$1\"; false"),
            ("PATH", "/usr/bin:/bin"),
        ]);
        let e = edit("x\n", &failing, ".md").unwrap_err();
        assert_eq!(e.data::<Unapplied>().unwrap().0, "y\n");
    }

    #[test]
    fn plain_editor_commands_are_execed_others_run_by_the_shell() {
        assert!(plain_words("vim"));
        assert!(plain_words("code --wait"));
        assert!(plain_words("/usr/bin/nano -w"));
        for shelly in [
            "FOO=1 vim",
            "vim; true",
            "emacs $X",
            "ed 'a b'",
            "vi && x",
            "",
        ] {
            assert!(!plain_words(shelly), "{shelly}");
        }
        // Either way the file is edited.
        let vars = Vars::from_pairs([("EDITOR", "sed -i s/a/b/"), ("PATH", "/usr/bin:/bin")]);
        assert_eq!(edit("a\n", &vars, ".md").unwrap(), "b\n");
        let vars = Vars::from_pairs([("EDITOR", "X=1; sed -i s/a/c/"), ("PATH", "/usr/bin:/bin")]);
        assert_eq!(edit("a\n", &vars, ".md").unwrap(), "c\n");
    }
}
