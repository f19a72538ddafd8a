use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// A workspace with history, made only through the real CLI: `tollgate demo DIR`; until that
/// command works, a minimal one (a local OCI image layout made with `umoci`, a tollgate.toml,
/// and one `tollgate record`). Returns the path of its tollgate.toml.
pub fn workspace(cli: &Path, dir: &Path) -> Result<PathBuf> {
    let demo = dir.join("demo");
    let out = Command::new(cli)
        .arg("demo")
        .arg(&demo)
        .output()
        .with_context(|| format!("cannot run {}", cli.display()))?;
    if out.status.success() {
        let stdout = String::from_utf8(out.stdout)?;
        let path = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .context("`tollgate demo` printed no path")?;
        return Ok(PathBuf::from(path.trim()));
    }
    eprintln!(
        "e2e: `tollgate demo` failed ({}); using a minimal workspace",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    minimal(cli, &dir.join("minimal"))
}

fn minimal(cli: &Path, dir: &Path) -> Result<PathBuf> {
    let layout = dir.join("registry/payments/api");
    std::fs::create_dir_all(layout.parent().context("layout parent")?)?;
    let image = format!("{}:dev", layout.display());
    run(Command::new("umoci")
        .arg("init")
        .arg("--layout")
        .arg(&layout))?;
    run(Command::new("umoci").args(["new", "--image", &image]))?;
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json"))?)?;
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .context("no manifest in the layout's index.json")?;

    let config = dir.join("tollgate.toml");
    std::fs::write(
        &config,
        r#"[workspace]
name = "e2e"
database = "tollgate.db"

[[registries]]
name = "local"
url = "oci:registry"

[[apps]]
name = "api"
repository = "local/payments/api"
environments = [{ name = "dev", tag = "dev" }, { name = "staging", tag = "staging" }]
"#,
    )?;
    run(Command::new(cli)
        .arg("--config")
        .arg(&config)
        .args([
            "record",
            "--app",
            "api",
            "--env",
            "dev",
            "--actor",
            "ci@example.com",
            "--image",
        ])
        .arg(format!("local/payments/api@{digest}")))?;
    Ok(config)
}

/// `tollgate --config FILE status --json`: what the window must show.
pub fn status(cli: &Path, config: &Path) -> Result<Vec<Value>> {
    let out = run(Command::new(cli)
        .arg("--config")
        .arg(config)
        .args(["status", "--json"]))?;
    let rows: Vec<Value> =
        serde_json::from_str(&out).context("status --json is not a JSON array")?;
    Ok(rows)
}

fn run(command: &mut Command) -> Result<String> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}
