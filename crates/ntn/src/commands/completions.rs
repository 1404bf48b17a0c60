//! `ntn completions <shell>`: shell completion scripts.
//!
//! Commands and flags come from clap_complete. For bash, zsh and fish the
//! script also completes, without network:
//! * the endpoint path of `ntn api`, a segment at a time, through the hidden
//!   `ntn completions --paths WORD` (the operations table, refreshed from the
//!   cached spec; never a `{parameter}` placeholder);
//! * `--workspace`, through the hidden `ntn completions --workspaces WORD`:
//!   the cached workspaces of the environment (`id<TAB>name`), by id or
//!   name.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::stdout_error;

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Print a completion script for your shell.\n\n\
Examples:\n  ntn completions bash > ~/.local/share/bash-completion/completions/ntn\n  \
ntn completions zsh > ~/.zfunc/_ntn\n  ntn completions fish > ~/.config/fish/completions/ntn.fish\n\n\
In bash, zsh and fish the endpoint path of `ntn api` completes a segment at a time (type the \
ids yourself; `ntn api ls` caches the spec, whose paths then complete too), and --workspace \
completes the ids of the workspaces you logged in to (by id or by name).",
    after_long_help = crate::env_help!()
)]
pub struct Args {
    /// The shell to generate completions for
    #[arg(value_enum, required_unless_present_any = ["paths", "workspaces"])]
    pub shell: Option<Shell>,

    /// Print the completions of a partly typed endpoint path (used by the scripts)
    #[arg(long, hide = true, conflicts_with = "shell", num_args = 0..=1,
          default_missing_value = "", value_name = "WORD", allow_hyphen_values = true)]
    pub paths: Option<String>,

    /// Print the cached workspaces matching WORD, `id<TAB>name` (used by the scripts)
    #[arg(long, hide = true, conflicts_with_all = ["shell", "paths"], num_args = 0..=1,
          default_missing_value = "", value_name = "WORD", allow_hyphen_values = true)]
    pub workspaces: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    if let Some(word) = &args.paths {
        return print_paths(ctx, word);
    }
    if let Some(word) = &args.workspaces {
        return print_workspaces(ctx, word);
    }
    let Some(shell) = args.shell else {
        return Err(Error::usage("missing the shell").hint("for example `ntn completions bash`"));
    };
    let script = script(shell);
    let mut out = ctx.ui.raw();
    out.write_all(script.as_bytes())
        .and_then(|_| out.flush())
        .map_err(stdout_error)
}

/// The completions of a partly typed path, one per line.
fn print_paths(ctx: &Context, word: &str) -> Result<()> {
    let file = crate::notion::spec::operations_file(&ctx.vars, ctx.env.docs_base());
    let ops = crate::notion::operations::Operations::load(file.as_deref());
    let templates: Vec<String> = ops.to_index().into_iter().map(|(_, t)| t).collect();
    let mut out = ctx.ui.raw();
    for p in crate::notion::operations::complete_path(templates.iter().map(String::as_str), word) {
        writeln!(out, "{p}").map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

/// The cached workspaces of the environment whose id or name starts with
/// `word` (names compared without case), as `id<TAB>name`.
fn print_workspaces(ctx: &Context, word: &str) -> Result<()> {
    let Ok(state) = ctx.state() else {
        return Ok(());
    };
    let Ok(workspaces) = state.workspaces() else {
        return Ok(());
    };
    let word_lower = word.to_lowercase();
    let mut out = ctx.ui.raw();
    for w in workspaces.list(ctx.env.name) {
        let name = crate::output::text::one_line(&w.name);
        if !w.id.starts_with(word) && !name.to_lowercase().starts_with(&word_lower) {
            continue;
        }
        let id = crate::output::text::one_line(&w.id);
        writeln!(out, "{id}\t{name}").map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "ntn", &mut buf);
    let base = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        Shell::Bash => format!("{base}{BASH_PATHS}"),
        Shell::Zsh => zsh_with_paths(&base),
        Shell::Fish => format!("{base}{FISH_PATHS}"),
        _ => base,
    }
}

const BASH_PATHS: &str = r#"
# Endpoint paths for `ntn api` and workspaces for --workspace, without network.
_ntn_with_api_paths() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" i cmd="" at=0 n=0
    if [[ "$prev" == "=" && "${COMP_WORDS[COMP_CWORD-2]}" == "--workspace" ]]; then prev="--workspace"; fi
    if [[ "$prev" == "--workspace" ]]; then
        local IFS=$'\n'
        COMPREPLY=( $(ntn completions --workspaces "$cur" 2>/dev/null | cut -f1) )
        compopt +o default +o bashdefault 2>/dev/null
        return 0
    fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ "${COMP_WORDS[i]}" != -* ]]; then cmd="${COMP_WORDS[i]}"; at=$i; break; fi
    done
    if [[ "$cmd" == "api" && "$cur" != -* ]]; then
        for ((i = at + 1; i < COMP_CWORD; i++)); do
            case "${COMP_WORDS[i]}" in
                -X|--method|-d|--data|--file|--timeout|--notion-version|--max-items|--workspace|--env) ((i++)) ;;
                -*) ;;
                *) ((n++)) ;;
            esac
        done
        if [[ $n -eq 0 ]]; then
            local IFS=$'\n'
            COMPREPLY=( $(compgen -W "ls" -- "$cur") $(ntn completions --paths "$cur" 2>/dev/null) )
            compopt +o default +o bashdefault 2>/dev/null
            if [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" == */ ]]; then
                compopt -o nospace 2>/dev/null
            fi
            return 0
        fi
    fi
    _ntn "$@"
}
complete -F _ntn_with_api_paths -o bashdefault -o default ntn
"#;

const FISH_PATHS: &str = r#"
# Endpoint paths for `ntn api` and workspaces for --workspace, without network.
complete -c ntn -n "__fish_ntn_using_subcommand api" -f -a "ls (ntn completions --paths (commandline -ct) 2>/dev/null)"
complete -c ntn -l workspace -x -a "(ntn completions --workspaces (commandline -ct) 2>/dev/null)"
"#;

const ZSH_FUNCTION: &str = r#"
# Endpoint paths for `ntn api` and workspaces for --workspace, without network.
(( $+functions[_ntn_api_paths] )) ||
_ntn_api_paths() {
    local -a dirs leaves
    local p
    for p in ls ${(f)"$(ntn completions --paths "$PREFIX" 2>/dev/null)"}; do
        if [[ $p == */ ]]; then dirs+=("$p"); else leaves+=("$p"); fi
    done
    compadd -Q -S '' -a dirs
    compadd -Q -a leaves
}
(( $+functions[_ntn_workspaces] )) ||
_ntn_workspaces() {
    local -a ws
    ws=(${(f)"$(ntn completions --workspaces 2>/dev/null)"})
    ws=("${(@)ws//$'\t'/:}")
    _describe -t workspaces 'logged-in workspace' ws
}

"#;

fn zsh_with_paths(base: &str) -> String {
    let mut out = String::with_capacity(base.len() + ZSH_FUNCTION.len());
    let mut inserted = false;
    for line in base.split_inclusive('\n') {
        if !inserted && line.starts_with("if [ \"$funcstack[1]\" = \"_ntn\" ]") {
            out.push_str(ZSH_FUNCTION);
            inserted = true;
        }
        if line.starts_with("'::path -- Endpoint path") {
            out.push_str(&line.replacen(":_default'", ":_ntn_api_paths'", 1));
        } else if line.starts_with("'--workspace=[") {
            out.push_str(&line.replacen(":ID:_default'", ":ID:_ntn_workspaces'", 1));
        } else {
            out.push_str(line);
        }
    }
    if !inserted {
        out.push_str(ZSH_FUNCTION);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_cover_commands_flags_and_api_paths() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = script(shell);
            for word in ["login", "api", "completions", "paginate", "notion-version"] {
                assert!(s.contains(word), "{shell}: {word}");
            }
            assert!(s.contains("ntn completions --paths"), "{shell}");
        }
        let zsh = script(Shell::Zsh);
        assert!(
            zsh.contains(":_ntn_api_paths'"),
            "the api path argument uses the function"
        );
        assert!(
            zsh.contains(":ID:_ntn_workspaces'") && !zsh.contains(":ID:_default'"),
            "--workspace completes workspaces"
        );
        for shell in [Shell::Bash, Shell::Fish] {
            assert!(
                script(shell).contains("ntn completions --workspaces"),
                "{shell}"
            );
        }
        assert!(
            zsh.find("_ntn_api_paths() {").unwrap() < zsh.find("if [ \"$funcstack[1]\"").unwrap()
        );
        for shell in [Shell::Elvish, Shell::PowerShell] {
            assert!(script(shell).contains("api"));
        }
    }
}
