//! skopeo as the independent cross-check: pushes, digests, raw manifests, retags and pulls
//! against a [`TestRegistry`] or an OCI layout folder.

use std::path::Path;
use std::process::Command;

use crate::images::OciLayoutImage;
use crate::process::run;
use crate::registry::TestRegistry;

/// `skopeo copy --quiet --all --preserve-digests FLAGS SRC DST`.
fn skopeo_copy(flags: &[String], src: &str, dst: &str) {
    run(Command::new("skopeo")
        .args(["copy", "--quiet", "--all", "--preserve-digests"])
        .args(flags)
        .arg(src)
        .arg(dst));
}

/// `skopeo inspect --tls-verify=false ARGS docker://HOST/REFERENCE` with the registry's
/// credentials, not run yet.
fn skopeo_inspect(registry: &TestRegistry, args: &[&str], reference: &str) -> Command {
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--tls-verify=false"]).args(args);
    cmd.args(registry.skopeo_creds("--creds"));
    cmd.arg(format!("docker://{}/{reference}", registry.host()));
    cmd
}

/// `skopeo copy --all oci:... docker://HOST/REPO:TAG` (with the registry's credentials).
pub fn push(image: &OciLayoutImage, registry: &TestRegistry, repo_tag: &str) {
    let mut flags = vec!["--dest-tls-verify=false".to_string()];
    flags.extend(registry.skopeo_creds("--dest-creds"));
    skopeo_copy(
        &flags,
        &image.oci_ref(),
        &format!("docker://{}/{repo_tag}", registry.host()),
    );
}

/// The digest of `REPO:TAG` as skopeo sees it.
pub fn skopeo_digest(registry: &TestRegistry, repo_tag: &str) -> String {
    run(&mut skopeo_inspect(
        registry,
        &["--format", "{{.Digest}}"],
        repo_tag,
    ))
    .trim()
    .to_string()
}

/// The digest of `REPO:TAG` as skopeo sees it, `None` when skopeo finds no such tag.
pub fn skopeo_find_digest(registry: &TestRegistry, repo_tag: &str) -> Option<String> {
    let out = skopeo_inspect(registry, &["--format", "{{.Digest}}"], repo_tag)
        .output()
        .expect("skopeo");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The raw manifest bytes of `REPO:TAG` (or `REPO@DIGEST`) as skopeo reads them.
pub fn skopeo_raw(registry: &TestRegistry, reference: &str) -> Vec<u8> {
    let out = skopeo_inspect(registry, &["--raw"], reference)
        .output()
        .expect("skopeo");
    assert!(
        out.status.success(),
        "skopeo inspect --raw {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Point `dst` (`REPO:TAG`) at what `src` (`REPO:TAG`) points at, outside Tollgate.
pub fn skopeo_retag(registry: &TestRegistry, src: &str, dst: &str) {
    let mut flags = vec![
        "--src-tls-verify=false".to_string(),
        "--dest-tls-verify=false".to_string(),
    ];
    flags.extend(registry.skopeo_creds("--src-creds"));
    flags.extend(registry.skopeo_creds("--dest-creds"));
    skopeo_copy(
        &flags,
        &format!("docker://{}/{src}", registry.host()),
        &format!("docker://{}/{dst}", registry.host()),
    );
}

/// Copy every platform of `REPO:TAG` into a fresh OCI layout with skopeo, which fails unless
/// every manifest and blob can be read from the registry.
pub fn skopeo_pull(registry: &TestRegistry, repo_tag: &str) -> tempfile::TempDir {
    let mut flags = vec!["--src-tls-verify=false".to_string()];
    flags.extend(registry.skopeo_creds("--src-creds"));
    pull_into_temp(&flags, &format!("docker://{}/{repo_tag}", registry.host()))
}

/// [`skopeo_pull`] from `oci:PATH:TAG` (a layout registry's repository folder).
pub fn skopeo_pull_layout(path: &Path, tag: &str) -> tempfile::TempDir {
    pull_into_temp(&[], &format!("oci:{}:{tag}", path.display()))
}

fn pull_into_temp(flags: &[String], src: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("tempdir");
    skopeo_copy(flags, src, &format!("oci:{}:x", out.path().display()));
    out
}

/// The digest of `oci:PATH:TAG` as skopeo sees it.
pub fn skopeo_layout_digest(path: &Path, tag: &str) -> String {
    run(Command::new("skopeo")
        .args(["inspect", "--format", "{{.Digest}}"])
        .arg(format!("oci:{}:{tag}", path.display())))
    .trim()
    .to_string()
}

/// Copy `image` into `oci:PATH:TAG` with skopeo (a layout registry's repository folder).
pub fn push_to_layout(image: &OciLayoutImage, path: &Path, tag: &str) {
    std::fs::create_dir_all(path).expect("layout dir");
    skopeo_copy(
        &[],
        &image.oci_ref(),
        &format!("oci:{}:{tag}", path.display()),
    );
}
