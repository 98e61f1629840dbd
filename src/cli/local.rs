//! `tenure local`: list, read and write the embedded local vault's secrets
//! (the value is read from stdin and printed only by `get`).

use std::io::{Read, Write};

use tenure_plugin_api::{ErrorKind, SecretValue, Stage};

use super::{ExitCode, LocalCommand, fail, load};
use crate::plugins::Plugins;

pub async fn local(
    path: &std::path::Path,
    name: Option<&str>,
    command: LocalCommand,
) -> Result<ExitCode, ExitCode> {
    let config = load(path)?;
    let locals: Vec<&String> = config
        .providers
        .iter()
        .filter(|(_, p)| p.type_name() == "local")
        .map(|(n, _)| n)
        .collect();
    let name = match (name, locals.as_slice()) {
        (Some(name), _) if locals.iter().any(|l| *l == name) => name.to_owned(),
        (Some(name), _) => {
            fail(format!(
                "{name} is not a local provider in {}",
                path.display()
            ));
            return Err(ExitCode::Config);
        }
        (None, [only]) => (*only).clone(),
        (None, []) => {
            fail(format!("{} configures no local provider", path.display()));
            return Err(ExitCode::Config);
        }
        (None, _) => {
            fail("several local providers are configured; pick one with --provider");
            return Err(ExitCode::Config);
        }
    };
    let plugins = Plugins::build(&config).map_err(|e| {
        fail(e);
        ExitCode::Runtime
    })?;
    let provider = plugins.provider(&name).ok_or(ExitCode::Config)?;
    let runtime = |e: tenure_plugin_api::PluginError| {
        let code = if e.kind() == ErrorKind::NotFound {
            ExitCode::NotFound
        } else {
            ExitCode::Runtime
        };
        fail(e);
        code
    };
    match command {
        LocalCommand::List => {
            let mut paths: Vec<String> = provider
                .list()
                .await
                .map_err(runtime)?
                .into_iter()
                .map(|m| m.path)
                .collect();
            paths.sort();
            let mut out = std::io::stdout().lock();
            for p in paths {
                let _ = writeln!(out, "{p}");
            }
            Ok(ExitCode::Ok)
        }
        LocalCommand::Get { path } => {
            let value = provider
                .read(&path, Stage::Current)
                .await
                .map_err(runtime)?;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", value.expose());
            Ok(ExitCode::Ok)
        }
        LocalCommand::Put {
            path,
            owner,
            workload,
        } => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                fail(format!("cannot read the value from stdin: {e}"));
                ExitCode::Runtime
            })?;
            if text.ends_with('\n') {
                text.pop();
            }
            let value = SecretValue::new(text);
            if value.is_empty() {
                fail("the value read from stdin is empty");
                return Err(ExitCode::Config);
            }
            let mut tags = std::collections::BTreeMap::new();
            if let Some(owner) = owner {
                tags.insert("owner".to_owned(), owner);
            }
            if let Some(workload) = workload {
                tags.insert("workload".to_owned(), workload);
            }
            let version = provider
                .put_current(&path, &value, &tags)
                .await
                .map_err(runtime)?;
            println!("{name}:{path}: stored version {version}.");
            Ok(ExitCode::Ok)
        }
    }
}
