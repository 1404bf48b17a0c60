//! Editing text in the user's editor: `$VISUAL`, else `$EDITOR`, else `vi`, run through
//! the shell (so `EDITOR="code --wait"` works) on a private temporary file, with the
//! variables a child may see (never `NOTION_API_TOKEN`). Callers open an editor only on
//! a terminal.

use std::io::Write;
use std::process::Command;

use crate::error::{Error, Result};
use crate::vars::Vars;

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
    let status = cmd.status().map_err(|e| {
        Error::local(format!(
            "could not start the editor ({})",
            crate::output::text::clean(&editor)
        ))
        .hint("set VISUAL or EDITOR to your editor's command")
        .cause(&e)
    })?;
    if !status.success() {
        return Err(Error::local(format!(
            "the editor ({}) exited with {status}; nothing was changed",
            crate::output::text::clean(&editor)
        )));
    }
    std::fs::read_to_string(&path)
        .map_err(|e| Error::local("could not read the edited file back").cause(&e))
}

#[cfg(unix)]
fn shell(editor: &str, path: &std::path::Path) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(format!("{editor} \"$1\""))
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
        assert!(edit("x", &failing, ".md").is_err());
    }
}
