//! `--help` of every subcommand, as snapshots: the CLI is a contract.

use crate::support::Env;

#[test]
fn help_snapshots() {
    let env = Env::new();
    let commands: &[&[&str]] = &[
        &[],
        &["plugin"],
        &["plugin", "pack"],
        &["plugin", "check"],
        &["plugin", "list"],
        &["plugin", "show"],
        &["plugin", "enable"],
        &["plugin", "disable"],
        &["plugin", "update"],
        &["plugin", "install"],
        &["plugin", "new"],
        &["plugin", "build"],
        &["plugin", "dev"],
        &["tool"],
        &["tool", "list"],
        &["tool", "call"],
        &["history"],
        &["mcp"],
        &["serve"],
        &["trust"],
    ];
    for args in commands {
        let mut full: Vec<&str> = args.to_vec();
        full.push("--help");
        let r = env.yoi(&full);
        assert_eq!(r.code, 0, "{full:?}: {}", r.stderr);
        let name = if args.is_empty() {
            "yoi".to_owned()
        } else {
            format!("yoi_{}", args.join("_"))
        };
        insta::assert_snapshot!(name, r.stdout);
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    assert_eq!(env.yoi(&["plugin", "frobnicate"]).code, 2);
    assert_eq!(env.yoi(&["tool", "call"]).code, 2);
}
