//! Usage errors as a Helm user needs them.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// Drops clap's "to pass '--flag' as a value, use '-- --flag'" tip from an unknown-flag error:
/// a mistyped or unsupported flag is almost never meant as a positional value, and the tip hides
/// the real advice (clap's "a similar argument exists", `--help`).
pub fn without_value_tip(mut error: clap::Error) -> clap::Error {
    if error.kind() != ErrorKind::UnknownArgument {
        return error;
    }
    if let Some(ContextValue::StyledStrs(tips)) = error.get(ContextKind::Suggested) {
        let kept: Vec<_> = tips
            .iter()
            .filter(|tip| !tip.to_string().contains("as a value, use '-- "))
            .cloned()
            .collect();
        if kept.is_empty() {
            error.remove(ContextKind::Suggested);
        } else {
            error.insert(ContextKind::Suggested, ContextValue::StyledStrs(kept));
        }
    }
    error
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::Cli;

    fn message(args: &[&str]) -> String {
        let error = Cli::try_parse_from(args).expect_err("a usage error");
        without_value_tip(error).to_string()
    }

    #[test]
    fn an_unknown_flag_gets_no_tip_to_pass_it_as_a_value() {
        let text = message(&["chartsmith", "uninstall", "web", "--ignore-not-fund"]);
        assert!(!text.contains("-- --ignore"), "{text}");
        assert!(
            text.contains("--ignore-not-found"),
            "clap's suggestion stays: {text}"
        );
    }
}
