//! Small distinct OCI images built with `umoci` (the base layout is built once per test run),
//! with OCI labels in the config: [`make_image`], [`make_multiarch_image`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest as _, Sha256};

use crate::process::run;

/// The `created` time every test image's config carries.
pub const IMAGE_CREATED: &str = "2026-01-02T03:04:05Z";

/// A one-image OCI layout made with umoci: `oci:{dir}:{tag}`.
#[derive(Debug, Clone)]
pub struct OciLayoutImage {
    pub dir: PathBuf,
    pub tag: String,
    /// The config labels it carries (`org.opencontainers.image.{revision,version,source}`).
    pub labels: BTreeMap<String, String>,
    /// `os/arch[/variant]` of an index, empty for a single image.
    pub platforms: Vec<String>,
}

impl OciLayoutImage {
    /// `oci:DIR:TAG`, for skopeo.
    pub fn oci_ref(&self) -> String {
        format!("oci:{}:{}", self.dir.display(), self.tag)
    }

    /// The digest of the image's top manifest (from the layout's index.json).
    pub fn digest(&self) -> String {
        let index: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.dir.join("index.json")).expect("index.json"),
        )
        .expect("index json");
        index["manifests"]
            .as_array()
            .expect("manifests")
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == self.tag.as_str())
            .and_then(|m| m["digest"].as_str())
            .expect("tag in index.json")
            .to_string()
    }
}

/// Where built images live for the whole test run (removed when the process exits is not
/// guaranteed; it is a temp dir).
fn images_root() -> &'static Path {
    static ROOT: OnceLock<tempfile::TempDir> = OnceLock::new();
    ROOT.get_or_init(|| {
        tempfile::Builder::new()
            .prefix("tollgate-it-images")
            .tempdir()
            .expect("tempdir")
    })
    .path()
}

/// The empty base image (`umoci init` + `umoci new`), built once.
fn base_layout() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = images_root().join("base");
        run(Command::new("umoci").args(["init", "--layout"]).arg(&dir));
        run(Command::new("umoci")
            .args(["new", "--image"])
            .arg(format!("{}:v", dir.display())));
        dir
    })
}

fn short_hash(s: &str) -> String {
    hex_encode(&Sha256::digest(s.as_bytes()))[..16].to_string()
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    run(Command::new("cp").arg("-r").arg(from).arg(to));
}

/// Labels of the image made from `content`.
pub fn labels_for(content: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "org.opencontainers.image.revision".to_string(),
            format!("rev-{}", short_hash(content)),
        ),
        (
            "org.opencontainers.image.version".to_string(),
            format!("1.0.0-{}", &short_hash(content)[..6]),
        ),
        (
            "org.opencontainers.image.source".to_string(),
            "https://git.example.com/payments/api".to_string(),
        ),
    ])
}

/// Build (or reuse) a layout with `content` in `/content`, the OCI labels of [`labels_for`],
/// `created` = [`IMAGE_CREATED`], for `arch` (`amd64`, `arm64`, ...). (umoci sets no variant:
/// an index's platform variant lives in the index entry.)
fn build_image(content: &str, arch: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let key = format!("{arch}/{content}");
    let built = BUILT.get_or_init(Default::default);
    if let Some(dir) = built.lock().unwrap().get(&key) {
        return dir.clone();
    }
    let dir = images_root().join(format!("img-{}", short_hash(&key)));
    let tmp = images_root().join(
        format!("tmp-{}-{:?}", short_hash(&key), std::thread::current().id())
            .replace(['(', ')'], ""),
    );
    copy_dir(base_layout(), &tmp);
    let file = images_root().join(format!(
        "content-{}",
        short_hash(&format!("{key}{:?}", std::thread::current().id()))
    ));
    std::fs::write(&file, content).expect("content file");
    let image = format!("{}:v", tmp.display());
    run(Command::new("umoci")
        .args(["insert", "--image", &image])
        .arg(&file)
        .arg("/content"));
    let mut config = Command::new("umoci");
    config.args([
        "config",
        "--image",
        &image,
        "--created",
        IMAGE_CREATED,
        "--architecture",
        arch,
        "--os",
        "linux",
    ]);
    for (k, v) in labels_for(content) {
        config.arg("--config.label").arg(format!("{k}={v}"));
    }
    run(&mut config);
    run(Command::new("umoci").args(["gc", "--layout"]).arg(&tmp));
    let _ = std::fs::remove_file(&file);
    let mut map = built.lock().unwrap();
    if let Some(dir) = map.get(&key) {
        let _ = std::fs::remove_dir_all(&tmp);
        return dir.clone();
    }
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    map.insert(key, dir.clone());
    dir
}

/// A small distinct single-platform image (linux/amd64) holding `tag_content`.
/// The same content gives the same image (and digest) within a test run.
pub fn make_image(tag_content: &str) -> OciLayoutImage {
    let dir = build_image(tag_content, "amd64");
    OciLayoutImage {
        dir,
        tag: "v".into(),
        labels: labels_for(tag_content),
        platforms: Vec::new(),
    }
}

/// An OCI index over two images holding `tag_content`: linux/amd64 and linux/arm64/v8,
/// written into a layout of its own (tag `multi`), pushable with `skopeo copy --all`.
pub fn make_multiarch_image(tag_content: &str) -> OciLayoutImage {
    let amd = build_image(tag_content, "amd64");
    let arm = build_image(tag_content, "arm64");
    let dir = images_root().join(
        format!(
            "multi-{}-{:?}",
            short_hash(tag_content),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&amd, &dir);
    // Bring the arm64 image's blobs over.
    for entry in std::fs::read_dir(arm.join("blobs/sha256")).expect("blobs") {
        let entry = entry.expect("entry");
        let target = dir.join("blobs/sha256").join(entry.file_name());
        if !target.exists() {
            std::fs::copy(entry.path(), target).expect("copy blob");
        }
    }
    let desc = |layout: &Path, platform: serde_json::Value| {
        let img = OciLayoutImage {
            dir: layout.to_path_buf(),
            tag: "v".into(),
            labels: BTreeMap::new(),
            platforms: Vec::new(),
        };
        let digest = img.digest();
        let size = std::fs::metadata(layout.join("blobs/sha256").join(&digest["sha256:".len()..]))
            .expect("manifest blob")
            .len();
        serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size, "platform": platform})
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            desc(&amd, serde_json::json!({"os": "linux", "architecture": "amd64"})),
            desc(&arm, serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"})),
        ],
        "annotations": {"org.opencontainers.image.title": "multi"}
    });
    let bytes = serde_json::to_vec(&index).expect("index");
    let hex = hex_encode(&Sha256::digest(&bytes));
    std::fs::write(dir.join("blobs/sha256").join(&hex), &bytes).expect("write index blob");
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{hex}"),
            "size": bytes.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi"}
        }]
    });
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&top).expect("top"),
    )
    .expect("index.json");
    OciLayoutImage {
        dir,
        tag: "multi".into(),
        labels: labels_for(tag_content),
        platforms: vec!["linux/amd64".into(), "linux/arm64/v8".into()],
    }
}
