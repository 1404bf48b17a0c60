//! `ntn completions <shell>`: shell completion scripts.
//!
//! Commands and flags come from clap_complete. For bash, zsh and fish the
//! script also completes the endpoint path of `ntn api` from the cached
//! OpenAPI spec, through the hidden `ntn completions --paths` (no network:
//! it prints nothing until `ntn api ls` or `--help` has cached the spec).

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
In bash, zsh and fish the endpoint path of `ntn api` completes from the cached OpenAPI spec \
(run `ntn api ls` once to cache it).",
    after_long_help = crate::env_help!()
)]
pub struct Args {
    /// The shell to generate completions for
    #[arg(value_enum, required_unless_present = "paths")]
    pub shell: Option<Shell>,

    /// Print the endpoint paths of the cached OpenAPI spec (used by the scripts)
    #[arg(long, hide = true, conflicts_with = "shell")]
    pub paths: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    if args.paths {
        return print_paths(ctx);
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

/// The cached spec's paths, without the leading `/`, one per line.
fn print_paths(ctx: &Context) -> Result<()> {
    let Some(spec) = crate::notion::spec::load_cached(&ctx.vars, ctx.env.docs_base()) else {
        return Ok(());
    };
    let mut out = ctx.ui.raw();
    for p in spec.templates() {
        writeln!(out, "{}", p.trim_start_matches('/')).map_err(stdout_error)?;
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
# Endpoint paths for `ntn api`, from the cached OpenAPI spec.
_ntn_with_api_paths() {
    local cur="${COMP_WORDS[COMP_CWORD]}" i cmd="" at=0 n=0
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
            COMPREPLY=( $(compgen -W "ls"$'\n'"$(ntn completions --paths 2>/dev/null)" -- "$cur") )
            return 0
        fi
    fi
    _ntn "$@"
}
complete -F _ntn_with_api_paths -o bashdefault -o default ntn
"#;

const FISH_PATHS: &str = r#"
# Endpoint paths for `ntn api`, from the cached OpenAPI spec.
complete -c ntn -n "__fish_ntn_using_subcommand api" -f -a "ls (ntn completions --paths 2>/dev/null)"
"#;

const ZSH_FUNCTION: &str = r#"
# Endpoint paths for `ntn api`, from the cached OpenAPI spec.
(( $+functions[_ntn_api_paths] )) ||
_ntn_api_paths() {
    local -a paths
    paths=(ls ${(f)"$(ntn completions --paths 2>/dev/null)"})
    compadd -Q -a paths
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
            zsh.find("_ntn_api_paths() {").unwrap() < zsh.find("if [ \"$funcstack[1]\"").unwrap()
        );
        for shell in [Shell::Elvish, Shell::PowerShell] {
            assert!(script(shell).contains("api"));
        }
    }
}
