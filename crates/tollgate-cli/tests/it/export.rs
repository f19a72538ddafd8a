//! Audit exports against the demo workspace (real history, real SSHSIG approvals) and a history
//! built through the store: the PDF read back with `pdftotext` and rendered with `pdftoppm`,
//! the CSV parsed back, the JSON checked by `tollgate verify` and by the shell recipe of
//! docs/src/audit/format.md (`jq`, `sha256sum`, `ssh-keygen`), intact and tampered.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use tollgate::api::{self, ExportFormat, ExportRequest};
use tollgate::config::Workspace;
use tollgate::domain::{Digest, Event, EventKind, NewEvent};
use tollgate::store::{EventFilter, Store};

use tollgate_testsupport::docs::fenced_block;
use tollgate_testsupport::workspace::{sqlite3, workspace_toml, Run, TempWorkspace};

/// A demo workspace (`tollgate demo`): records, approvals, promotions and a drift.
struct Demo {
    tmp: TempWorkspace,
    config: PathBuf,
}

impl Demo {
    fn new() -> Demo {
        let tmp = TempWorkspace::empty();
        let run = tmp.run_bare(&["demo", "demo", "--without-signing"]);
        run.ok();
        let config = PathBuf::from(run.stdout.trim());
        let config = if config.is_absolute() {
            config
        } else {
            tmp.path().join(config)
        };
        Demo { tmp, config }
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["--config", self.config.to_str().unwrap()];
        all.extend_from_slice(args);
        self.tmp.run_bare(&all)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn events(&self) -> Vec<Event> {
        let ws = Workspace::load(&self.config, None).unwrap();
        Store::open(&ws.db_path)
            .unwrap()
            .events(&EventFilter::default())
            .unwrap()
    }

    /// `tollgate export --format FORMAT --out OUT EXTRA...`, as it ran.
    fn export_run(&self, format: &str, out: &Path, extra: &[&str]) -> Run {
        let mut args = vec!["export", "--format", format, "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Export to `name` in the demo folder, which must succeed; the path written.
    fn export(&self, format: &str, name: &str, extra: &[&str]) -> PathBuf {
        let out = self.file(name);
        self.export_run(format, &out, extra).ok();
        out
    }

    /// `tollgate verify FILE` without `--config`: the report's own keys (`--allow-unsealed`: the
    /// demo's keys are not in this machine's keychain, so its reports are not sealed).
    fn verify(&self, file: &Path) -> Run {
        self.tmp
            .run_bare(&["verify", file.to_str().unwrap(), "--allow-unsealed"])
    }
}

fn tool(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn no_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-output/export");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn pdf_shows_every_digest_and_approver_and_every_page_renders() {
    let demo = Demo::new();
    let pdf = demo.export("pdf", "audit.pdf", &[]);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));

    let text = tool(Command::new("pdftotext").arg(&pdf).arg("-"));
    let flat = no_space(&text);
    let events = demo.events();
    let moves: Vec<&Event> = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Promotion | EventKind::Rollback | EventKind::Drift
            )
        })
        .collect();
    assert!(moves.len() >= 10, "the demo has promotions and a drift");
    for e in &moves {
        let digest = e.digest.as_ref().unwrap().to_string();
        assert!(
            flat.contains(&digest),
            "digest {digest} of event {} not in the PDF text",
            e.seq
        );
        assert!(flat.contains(&format!("#{}", e.seq)));
    }
    for who in ["alice@example.com", "quinn@example.com"] {
        assert!(flat.contains(who), "{who} not in the PDF");
    }
    // Key fingerprints of the approvals, wrapped or not.
    for e in events.iter().filter(|e| e.kind == EventKind::Approval) {
        let fp = e.data["fingerprint"].as_str().unwrap();
        assert!(flat.contains(fp), "fingerprint {fp} not in the PDF");
    }
    assert!(text.contains("DRIFT"), "drift is highlighted");
    assert!(text.contains("Audit report"));
    assert!(text.contains("History chain intact"));
    let head = demo.run(&["verify"]).stdout;
    let head = head
        .lines()
        .next()
        .unwrap()
        .split("head ")
        .nth(1)
        .unwrap()
        .trim();
    assert!(
        flat.contains(head),
        "the chain head {head} is on the title page"
    );

    // Every page renders; keep pictures of the title page and the first table page.
    let pages: usize = tool(Command::new("pdfinfo").arg(&pdf))
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 3, "title, summary, table");
    assert!(text.contains(&format!("page {pages} of {pages}")));
    let render = tempfile::tempdir().unwrap();
    tool(
        Command::new("pdftoppm")
            .args(["-r", "60", "-png"])
            .arg(&pdf)
            .arg(render.path().join("p")),
    );
    let rendered = std::fs::read_dir(render.path()).unwrap().count();
    assert_eq!(rendered, pages, "pdftoppm rendered every page");
    let out = output_dir();
    for (page, name) in [(1, "page-1"), (3, "page-3")] {
        tool(
            Command::new("pdftoppm")
                .args(["-r", "100", "-png", "-singlefile", "-f"])
                .arg(page.to_string())
                .args(["-l", &page.to_string()])
                .arg(&pdf)
                .arg(out.join(name)),
        );
    }
    assert!(out.join("page-1.png").exists());
}

#[test]
fn csv_parses_back_to_the_events() {
    let demo = Demo::new();
    let path = demo.export("csv", "audit.csv", &[]);
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("\r\n"), "RFC 4180 line ends");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, tollgate::report::csv::COLUMNS.map(String::from));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let events = demo.events();
    assert_eq!(rows.len(), events.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, e) in rows.iter().zip(&events) {
        assert_eq!(row[col("seq")], e.seq.to_string());
        assert_eq!(row[col("kind")], *e.kind.as_str());
        assert_eq!(row[col("app")], e.app);
        assert_eq!(row[col("env")], e.env);
        assert_eq!(
            row[col("digest")],
            e.digest.as_ref().map(|d| d.to_string()).unwrap_or_default()
        );
        assert_eq!(row[col("actor")], e.actor.clone().unwrap_or_default());
        assert_eq!(
            tollgate::domain::parse_time(&row[col("at")]).unwrap(),
            e.at,
            "times are RFC 3339 with their offset"
        );
        assert_eq!(row[col("hash")], e.hash);
        assert_eq!(row[col("prev_hash")], e.prev_hash);
        if e.kind == EventKind::Promotion {
            assert!(matches!(&row[col("policy_passed")], "true" | "false"));
            assert!(row[col("policy")].contains("approvals"));
            for seq in e.data["approvals"].as_array().unwrap() {
                assert!(row[col("approvers")].contains(&format!("#{seq} ")));
            }
        }
        if e.kind == EventKind::Approval {
            assert_eq!(
                &row[col("fingerprint")],
                e.data["fingerprint"].as_str().unwrap()
            );
        }
    }

    // Filters: exactly the events of one app in a period.
    let since = events[events.len() / 3].at;
    let until = events[2 * events.len() / 3].at;
    let (s, u) = (since.to_rfc3339(), until.to_rfc3339());
    let path = demo.export(
        "csv",
        "web.csv",
        &["--app", "web", "--since", &s, "--until", &u],
    );
    let seqs: Vec<i64> = csv::Reader::from_path(&path)
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    let expected: Vec<i64> = events
        .iter()
        .filter(|e| e.app == "web" && e.at >= since && e.at < until)
        .map(|e| e.seq)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(seqs, expected, "since inclusive, until exclusive");
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// Index in `events` of the first whole event of `kind`, after `skip` of them.
fn nth_of(report: &Value, kind: &str, skip: usize) -> usize {
    report["events"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, e)| e["kind"] == kind)
        .nth(skip)
        .map(|(i, _)| i)
        .unwrap()
}

/// A copy of the report `good`, changed by `edit`, written to the demo folder as `name`.
fn write_edited(demo: &Demo, good: &Value, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v = good.clone();
    edit(&mut v);
    let path = demo.file(name);
    write_json(&path, &v);
    path
}

/// Swap the signatures of events `x` and `y` (indexes in `events`).
fn swap_signatures(v: &mut Value, x: usize, y: usize) {
    let a = v["events"][x]["data"]["signature"].take();
    let b = v["events"][y]["data"]["signature"].take();
    v["events"][x]["data"]["signature"] = b;
    v["events"][y]["data"]["signature"] = a;
}

/// Run `tollgate verify` on a tampered copy and return its error lines (exit status 1).
fn tampered(demo: &Demo, good: &Value, name: &str, edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let path = write_edited(demo, good, name, edit);
    let run = demo.verify(&path);
    assert_eq!(
        run.code, 1,
        "{name}: stdout {} stderr {}",
        run.stdout, run.stderr
    );
    let lines: Vec<String> = run.stderr.lines().map(String::from).collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(l.starts_with("error: "), "{l}");
    }
    lines
}

fn any(lines: &[String], words: &[&str]) -> bool {
    lines.iter().any(|l| words.iter().all(|w| l.contains(w)))
}

/// The demo's JSON report, which verifies as intact, and its parsed content.
fn good_report() -> (Demo, PathBuf, Value) {
    let demo = Demo::new();
    let path = demo.export("json", "audit.json", &[]);
    let run = demo.verify(&path);
    run.ok();
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
    assert!(run.stdout.starts_with("report intact: "), "{}", run.stdout);
    // The demo's keys are not in this machine's keychain: its report is not sealed.
    assert!(
        run.stdout
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("unproven: the report is not sealed (it was exported unsealed: "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .nth(2)
            .unwrap()
            .starts_with("keys: the report's own allowed_signers"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty());
    let good = read_json(&path);
    (demo, path, good)
}

/// The `seq` of the event at `index` in `events`.
fn seq_at(report: &Value, index: usize) -> i64 {
    report["events"][index]["seq"].as_i64().unwrap()
}

#[test]
fn json_report_verifies_and_is_self_contained() {
    let (_demo, path, good) = good_report();
    assert_eq!(good["format"], "tollgate.audit-report");
    assert_eq!(good["version"], 2);
    // Self-contained: each approval's signed message and armored signature, and the keys.
    let a = &good["events"][nth_of(&good, "approval", 0)];
    assert!(a["data"]["message"]
        .as_str()
        .unwrap()
        .contains("\"kind\":\"tollgate.approval\""));
    assert!(a["data"]["signature"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN SSH SIGNATURE-----"));
    assert!(good["allowed_signers"]
        .as_str()
        .unwrap()
        .contains("alice@example.com namespaces=\"tollgate-approval\" ssh-ed25519 "));
    // No secret: no private key material anywhere.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("PRIVATE KEY"));
}

#[test]
fn tampered_report_a_changed_digest_is_named() {
    let (demo, _, good) = good_report();
    let i = nth_of(&good, "promotion", 0);
    let seq = seq_at(&good, i);
    let lines = tampered(&demo, &good, "digest.json", |v| {
        v["events"][i]["digest"] = Value::from(format!("sha256:{}", "0".repeat(64)));
    });
    assert!(
        any(&lines, &[&format!("event {seq}:"), "digest"]),
        "{lines:?}"
    );
}

#[test]
fn tampered_report_a_removed_event_is_named() {
    let (demo, _, good) = good_report();
    let i = nth_of(&good, "approval", 0);
    let gone = seq_at(&good, i);
    let lines = tampered(&demo, &good, "removed.json", |v| {
        v["events"].as_array_mut().unwrap().remove(i);
    });
    assert!(
        any(&lines, &[&format!("event {gone} is missing")]),
        "{lines:?}"
    );
}

#[test]
fn tampered_report_two_swapped_events_are_named() {
    let (demo, _, good) = good_report();
    let i = nth_of(&good, "promotion", 0);
    let moved = seq_at(&good, i);
    let lines = tampered(&demo, &good, "reordered.json", |v| {
        v["events"].as_array_mut().unwrap().swap(i, i + 1);
    });
    assert!(
        any(&lines, &[&format!("event {moved}:"), "out of order"]),
        "{lines:?}"
    );
}

#[test]
fn tampered_report_signatures_swapped_between_two_approvals_are_named() {
    let (demo, _, good) = good_report();
    let (x, y) = (nth_of(&good, "approval", 0), nth_of(&good, "approval", 1));
    let (sx, sy) = (seq_at(&good, x), seq_at(&good, y));
    let lines = tampered(&demo, &good, "swapped.json", |v| swap_signatures(v, x, y));
    for s in [sx, sy] {
        assert!(
            any(
                &lines,
                &[&format!("event {s}:"), "signature", "does not verify"]
            ),
            "{lines:?}"
        );
    }
}

#[test]
fn tampered_report_an_edited_allowed_signers_is_named() {
    let (demo, _, good) = good_report();
    // alice's key replaced by quinn's.
    let signers = good["allowed_signers"].as_str().unwrap().to_string();
    let key_of = |id: &str| {
        signers
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap()
            .to_string()
    };
    let (alice, quinn) = (key_of("alice@example.com"), key_of("quinn@example.com"));
    let lines = tampered(&demo, &good, "signers.json", |v| {
        v["allowed_signers"] = Value::from(signers.replace(&alice, &quinn));
    });
    assert!(
        any(
            &lines,
            &["signature of alice@example.com", "does not verify"]
        ),
        "{lines:?}"
    );
    assert!(
        !any(&lines, &["quinn@example.com"]),
        "quinn's approvals still verify: {lines:?}"
    );
}

#[test]
fn tampered_report_one_event_rewritten_consistently_breaks_the_next_link() {
    let (demo, _, good) = good_report();
    // Fields, hashed text and hash all rewritten: the event itself checks, its successor not.
    let i = nth_of(&good, "promotion", 0);
    let seq = seq_at(&good, i);
    let lines = tampered(&demo, &good, "rewritten.json", |v| {
        let e = &mut v["events"][i];
        let hashed = e["hashed"]
            .as_str()
            .unwrap()
            .replace("release-bot", "mallory");
        e["actor"] = Value::from("mallory@example.com");
        let prev = e["prev_hash"].as_str().unwrap().to_string();
        e["hash"] = Value::from(sha256_hex(&format!("{prev}\n{hashed}")));
        e["hashed"] = Value::from(hashed);
    });
    assert!(
        any(&lines, &[&format!("event {}:", seq + 1), "prev_hash"]),
        "{lines:?}"
    );
}

#[test]
fn a_file_that_is_not_a_report_is_bad_input() {
    let demo = Demo::new();
    // Exit 2, one line.
    let other = demo.file("other.json");
    std::fs::write(&other, "{\"hello\": 1}").unwrap();
    demo.verify(&other)
        .fails_with(2, &["not a Tollgate audit report"]);
    std::fs::write(&other, "%PDF-1.7 not json").unwrap();
    demo.verify(&other)
        .fails_with(2, &["not a Tollgate audit report"]);
}

fn sha256_hex(s: &str) -> String {
    use sha2::{Digest as _, Sha256};
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[test]
fn filtered_reports_keep_the_chain_checkable() {
    let demo = Demo::new();
    let events = demo.events();
    // Production promotions of web, from a time after their approvals were signed: the
    // approvals come along (in_filter false) and the rest of the range is link stubs.
    let first_prod = events
        .iter()
        .find(|e| e.app == "web" && e.env == "production" && e.kind == EventKind::Promotion)
        .unwrap();
    let since = (first_prod.at - Duration::minutes(1)).to_rfc3339();
    let path = demo.export(
        "json",
        "web-prod.json",
        &["--app", "web", "--env", "production", "--since", &since],
    );
    let run = demo.verify(&path);
    run.ok();
    let v = read_json(&path);
    let list = v["events"].as_array().unwrap();
    let stubs = list.iter().filter(|e| e["stub"] == true).count();
    assert!(stubs > 0, "other apps' events are stubs");
    assert!(
        list.iter()
            .any(|e| e["in_filter"] == false && e["kind"] == "approval"),
        "approvals signed before --since come along"
    );
    for e in list.iter().filter(|e| e["in_filter"] == true) {
        assert_eq!(e["app"], "web");
        assert_eq!(e["env"], "production");
    }
    let seqs: Vec<i64> = list.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "contiguous range"
    );
    assert_eq!(recipe(&path).0, 0, "the shell recipe agrees");

    // A stub turned into nothing (removed) is named; a whole event outside the filters is too.
    let mut cut = v.clone();
    let k = list.iter().position(|e| e["stub"] == true).unwrap();
    cut["events"].as_array_mut().unwrap().remove(k);
    let cut_path = demo.file("cut.json");
    write_json(&cut_path, &cut);
    let run = demo.verify(&cut_path);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("is missing"), "{}", run.stderr);

    // Nothing matches: an empty report that still verifies.
    let path = demo.export(
        "json",
        "empty.json",
        &["--app", "web", "--since", "2099-01-01T00:00:00Z"],
    );
    demo.verify(&path).ok();
    assert_eq!(read_json(&path)["events"].as_array().unwrap().len(), 0);
}

/// The recipe of docs/src/audit/format.md, between its marker comments, run with bash.
/// The recipe with `--allow-unsealed` (what the reports of the demo and of in-process exports,
/// which no listed key of this machine may seal, need).
pub(crate) fn recipe(report: &Path) -> (i32, String) {
    recipe_with(report, &["--allow-unsealed"])
}

/// The documented recipe run on `report` with `args` after it: exit status and stdout.
pub(crate) fn recipe_with(report: &Path, args: &[&str]) -> (i32, String) {
    let script = fenced_block(
        "docs/src/audit/format.md",
        "<!-- recipe:begin -->",
        "<!-- recipe:end -->",
    );
    assert!(script.contains("ssh-keygen -Y verify"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("verify-report.sh");
    std::fs::write(&file, script).unwrap();
    let out = Command::new("bash")
        .arg(&file)
        .arg(report)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_documented_shell_recipe_checks_real_and_tampered_reports() {
    let demo = Demo::new();
    let path = demo.export("json", "audit.json", &[]);
    let (code, out) = recipe(&path);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("report OK: "), "{out}");
    let good = read_json(&path);

    let check = |name: &str, edit: &dyn Fn(&mut Value), words: &[&str]| {
        let (code, out) = recipe(&write_edited(&demo, &good, name, edit));
        assert_eq!(code, 1, "{name}: {out}");
        assert!(
            words.iter().all(|w| out.contains(w)),
            "{name}: {words:?} not in {out}"
        );
    };
    let i = nth_of(&good, "promotion", 0);
    let seq = good["events"][i]["seq"].as_i64().unwrap();
    check(
        "digest.json",
        &|v| v["events"][i]["digest"] = Value::from(format!("sha256:{}", "1".repeat(64))),
        &[&format!("event {seq}: its fields differ")],
    );
    check(
        "hashed.json",
        &|v| {
            let h = v["events"][i]["hashed"]
                .as_str()
                .unwrap()
                .replace("release-bot", "mallory");
            v["events"][i]["hashed"] = Value::from(h);
        },
        &[&format!("event {seq}: hash does not match")],
    );
    let (x, y) = (nth_of(&good, "approval", 0), nth_of(&good, "approval", 1));
    let sx = good["events"][x]["seq"].as_i64().unwrap();
    check(
        "swapped.json",
        &|v| swap_signatures(v, x, y),
        &[&format!(
            "event {sx}: the approval signature does not verify"
        )],
    );
    check(
        "removed.json",
        &|v| {
            v["events"].as_array_mut().unwrap().remove(5);
        },
        &["does not follow"],
    );
    let not_report = demo.file("not.json");
    std::fs::write(&not_report, "[1,2,3]").unwrap();
    assert_eq!(recipe(&not_report).0, 2);
}

#[test]
fn export_refuses_bad_targets_and_writes_atomically() {
    let demo = Demo::new();
    let out = demo.file("audit.json");
    std::fs::write(&out, "an older report").unwrap();
    demo.export("json", "audit.json", &[]);
    assert!(
        read_json(&out)["format"] == "tollgate.audit-report",
        "replaced"
    );

    // Targets it refuses: a folder, a file in a missing folder, the history database itself.
    let dir = demo.file("reports");
    std::fs::create_dir(&dir).unwrap();
    let ws = Workspace::load(&demo.config, None).unwrap();
    for (out, words) in [
        (dir, "a folder"),
        (demo.file("nowhere/audit.csv"), "does not exist"),
        (ws.db_path.clone(), "history database"),
    ] {
        demo.export_run("csv", &out, &[]).fails_with(2, &[words]);
    }
    // Arguments it refuses, with a good target.
    let csv = demo.file("r.csv");
    for (format, extra, words) in [
        ("csv", &["--since", "yesterday"][..], "RFC 3339"),
        (
            "csv",
            &[
                "--since",
                "2026-01-02T00:00:00Z",
                "--until",
                "2026-01-01T00:00:00Z",
            ],
            "not before",
        ),
        ("csv", &["--app", "nope"], "no app 'nope'"),
        ("xml", &[], "xml"),
    ] {
        demo.export_run(format, &csv, extra).fails_with(2, &[words]);
    }
    assert!(!csv.exists(), "a refused export writes nothing");
    let leftovers: Vec<_> = std::fs::read_dir(demo.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // --json prints the export summary.
    let run = demo.export_run("csv", &csv, &["--json"]);
    run.ok();
    let summary = run.json();
    assert_eq!(summary["format"], "csv");
    assert_eq!(summary["database"]["intact"], true);
    assert_eq!(
        summary["signatures"]["verified"],
        summary["signatures"]["approvals"]
    );
}

#[test]
fn a_broken_history_is_exported_with_the_break_stated_and_named_by_verify() {
    let demo = Demo::new();
    let ws = Workspace::load(&demo.config, None).unwrap();
    sqlite3(&ws.db_path, "DROP TRIGGER events_no_update");
    sqlite3(
        &ws.db_path,
        "UPDATE events SET actor = 'mallory@example.com' WHERE seq = 9",
    );
    let out = demo.file("broken.json");
    let run = demo.export_run("json", &out, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: the history chain is broken at event 9"),
        "{}",
        run.stderr
    );
    assert_eq!(read_json(&out)["database"]["intact"], false);
    let lines = demo.verify(&out);
    assert_eq!(lines.code, 1);
    assert!(
        lines
            .stderr
            .contains("error: event 9: its hash is not sha256"),
        "{}",
        lines.stderr
    );
    // The PDF says it on its title page.
    let pdf = demo.file("broken.pdf");
    assert_eq!(demo.export_run("pdf", &pdf, &[]).code, 1);
    let text = tool(Command::new("pdftotext").arg(&pdf).arg("-"));
    assert!(text.contains("BROKEN at event 9"), "{text}");
}

/// A history made through the store: a rollback, a failed checklist, a non-Latin name and an
/// approval whose key is not in tollgate.toml.
#[test]
fn library_export_of_rollbacks_and_unknown_keys() {
    let tmp = TempWorkspace::new(&workspace_toml(
        "store-made",
        "http://127.0.0.1:9",
        &[
            r#"{ name = "staging", tag = "staging" }"#,
            r#"{ name = "production", tag = "production" }"#,
        ],
    ));
    let ws = Workspace::load(&tmp.config(), None).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let a = Digest::of(b"release a");
    let b = Digest::of(b"release b");
    let evaluation = |passed: bool| {
        serde_json::json!({
            "passed": passed,
            "rules": [
                {"rule": "approvals", "passed": passed, "reason": "has 1 distinct approver, needs 1", "blocking": true},
                {"rule": "signatures", "passed": false, "reason": "1 approval was set aside", "blocking": false}
            ],
            "counted": [2],
            "ignored": []
        })
    };
    let event = |hours: i64, kind: EventKind, digest: &Digest, actor: &str, data: Value| NewEvent {
        at: t0 + Duration::hours(hours),
        kind,
        app: "api".into(),
        env: "production".into(),
        digest: Some(digest.clone()),
        actor: Some(actor.into()),
        data,
    };
    let mut store = Store::open(&ws.db_path).unwrap();
    store
        .append(vec![
            event(0, EventKind::Record, &a, "ci", serde_json::json!({"repository": "local/payments/api", "image": format!("local/payments/api@{a}")})),
            event(1, EventKind::Approval, &b, "Zoë 李", serde_json::json!({"from": "staging", "to": "production", "role": "qa", "note": "", "message": "{}", "signature": "", "fingerprint": "SHA256:x"})),
            event(2, EventKind::Promotion, &b, "release-bot", serde_json::json!({"from": "staging", "to": "production", "repository": "local/payments/api", "tag": "production", "previous": a.to_string(), "approvals": [2], "evaluation": evaluation(true)})),
            event(3, EventKind::Rollback, &a, "release-bot", serde_json::json!({"from": "production", "to": "production", "repository": "local/payments/api", "tag": "production", "previous": b.to_string(), "approvals": [], "evaluation": evaluation(false)})),
        ])
        .unwrap();
    drop(store);
    let out = tmp.path().join("r.pdf");
    let export_all = |format: ExportFormat, out: &Path| {
        api::export(
            &ws,
            &tollgate_testsupport::signed::ctx_at(t0 + Duration::days(1)),
            ExportRequest::everything(format, out),
        )
        .unwrap()
    };
    let summary = export_all(ExportFormat::Pdf, &out);
    assert!(summary.database.intact);
    assert!(!summary.clean(), "the approval cannot be checked");
    assert_eq!(summary.signatures.approvals, 1);
    assert_eq!(summary.signatures.verified, 0);
    assert!(
        summary.signatures.problems[0]
            .message
            .contains("no key in allowed_signers"),
        "{:?}",
        summary.signatures.problems
    );
    assert_eq!(summary.summary.apps[0].rollbacks, 1);
    tool(
        Command::new("pdftoppm")
            .args(["-r", "100", "-png", "-singlefile", "-f", "3", "-l", "3"])
            .arg(&out)
            .arg(output_dir().join("rollback-page-3")),
    );
    let text = tool(Command::new("pdftotext").arg(&out).arg("-"));
    let flat = no_space(&text);
    assert!(
        text.contains("ROLLBACK") && text.contains("NOT PASSED"),
        "{text}"
    );
    assert!(text.contains("Zoë"), "Latin-1 names are kept: {text}");
    assert!(flat.contains(&a.to_string()) && flat.contains(&b.to_string()));
    assert!(
        text.contains("1 verify") || text.contains("0 of 1 verify"),
        "{text}"
    );

    // The JSON of the same history: the unverifiable approval is named by `verify`.
    let json = tmp.path().join("r.json");
    export_all(ExportFormat::Json, &json);
    let result = api::verify_report(&json, None, true).unwrap();
    assert!(
        result
            .problems
            .iter()
            .any(|p| p.seq == Some(2) && p.message.contains("approval message")),
        "{:?}",
        result.problems
    );
}

/// A PDF of a history made through the store in workspace `workspace`: a record, an approval by
/// `approver` and a promotion by `actor` (staging → production); the workspace and the PDF's path.
fn names_pdf(workspace: &str, approver: &str, actor: &str) -> (TempWorkspace, PathBuf) {
    let tmp = TempWorkspace::new(&workspace_toml(
        workspace,
        "http://127.0.0.1:9",
        &[
            r#"{ name = "staging", tag = "staging" }"#,
            r#"{ name = "production", tag = "production" }"#,
        ],
    ));
    let ws = Workspace::load(&tmp.config(), None).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let a = Digest::of(b"release a");
    let event = |hours: i64, kind: EventKind, actor: &str, data: Value| NewEvent {
        at: t0 + Duration::hours(hours),
        kind,
        app: "api".into(),
        env: "production".into(),
        digest: Some(a.clone()),
        actor: Some(actor.into()),
        data,
    };
    let mut store = Store::open(&ws.db_path).unwrap();
    store
        .append(vec![
            event(0, EventKind::Record, "ci", serde_json::json!({"repository": "local/payments/api", "image": format!("local/payments/api@{a}")})),
            event(1, EventKind::Approval, approver, serde_json::json!({"from": "staging", "to": "production", "role": "qa", "note": "", "message": "{}", "signature": "", "fingerprint": "SHA256:x"})),
            event(2, EventKind::Promotion, actor, serde_json::json!({"from": "staging", "to": "production", "repository": "local/payments/api", "tag": "production", "approvals": [2], "evaluation": {"passed": true, "rules": [], "counted": [2], "ignored": []}})),
        ])
        .unwrap();
    drop(store);
    let out = tmp.path().join("names.pdf");
    let request = ExportRequest::everything(ExportFormat::Pdf, &out);
    api::export(
        &ws,
        &tollgate_testsupport::signed::ctx_at(t0 + Duration::days(1)),
        request,
    )
    .unwrap();
    (tmp, out)
}

/// `pdffonts` rows: (name, the rest of the row split at spaces).
fn pdf_fonts(pdf: &Path) -> Vec<(String, Vec<String>)> {
    tool(Command::new("pdffonts").arg(pdf))
        .lines()
        .skip(2)
        .map(|l| {
            let mut words = l.split_whitespace().map(String::from);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

#[test]
fn pdf_draws_latin_greek_and_cyrillic_names_with_embedded_fonts() {
    let (tmp, pdf) = names_pdf("Zoë Ærø", "Ελένη", "Ярослав");
    let text = tool(Command::new("pdftotext").arg(&pdf).arg("-"));
    for exact in [
        "Workspace Zoë Ærø",
        "Ελένη",
        "by Ярослав",
        "api: staging → production",
        "Tollgate audit report · Zoë Ærø · generated",
    ] {
        assert!(
            text.contains(exact),
            "{exact:?} not in the PDF text: {text}"
        );
    }
    assert!(!text.contains('?'), "nothing replaced: {text}");
    assert!(
        !text.contains("cannot be drawn"),
        "every character is drawn, so no notice: {text}"
    );

    // The three DejaVu fonts, embedded as subsets with a ToUnicode map.
    let fonts = pdf_fonts(&pdf);
    let mut names: Vec<&str> = fonts
        .iter()
        .map(|(name, _)| name.split_once('+').expect("a subset tag").1)
        .collect();
    names.sort();
    assert_eq!(names, ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"]);
    for (name, rest) in &fonts {
        let (tag, _) = name.split_once('+').unwrap();
        assert!(tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()));
        // type (2 words), encoding, emb, sub, uni, object, generation
        assert_eq!(
            rest[..6],
            ["CID", "TrueType", "Identity-H", "yes", "yes", "yes"],
            "{name}"
        );
    }
    // Subsets keep the file small (the three whole fonts are 1.8 MB): with its structure tree
    // (tagged PDF), the sRGB profile (PDF/A) and the auditor's sections, under 120 kB.
    let size = std::fs::metadata(&pdf).unwrap().len();
    assert!(size < 120_000, "{size} bytes");

    // The same history gives the same bytes.
    let first = std::fs::read(&pdf).unwrap();
    let ws = Workspace::load(&tmp.config(), None).unwrap();
    let again = tmp.path().join("again.pdf");
    let t = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    api::export(
        &ws,
        &tollgate_testsupport::signed::ctx_at(t),
        ExportRequest::everything(ExportFormat::Pdf, &again),
    )
    .unwrap();
    assert!(
        first == std::fs::read(&again).unwrap(),
        "the PDF is deterministic"
    );

    for (page, name) in [(1, "names-page-1"), (3, "names-page-3")] {
        tool(
            Command::new("pdftoppm")
                .args(["-r", "60", "-png", "-singlefile", "-f"])
                .arg(page.to_string())
                .args(["-l", &page.to_string()])
                .arg(&pdf)
                .arg(output_dir().join(name)),
        );
    }
}

#[test]
fn pdf_says_which_characters_it_cannot_draw() {
    let (_tmp, pdf) = names_pdf("支付 Zoë", "Zoë 李", "Ярослав");
    let text = tool(Command::new("pdftotext").arg(&pdf).arg("-"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // Three characters: 支 U+652F, 付 U+4ED8, 李 U+674E, in code point order.
    assert!(
        flat.contains("3 characters of this report (U+4ED8, U+652F, U+674E) cannot be drawn with its fonts and are shown as □"),
        "{flat}"
    );
    assert!(
        flat.contains("the JSON and CSV reports carry them exactly"),
        "{flat}"
    );
    assert_eq!(flat.matches("cannot be drawn").count(), 1, "said once");
    // The rest of each name is intact, and copied text has the characters drawn as boxes.
    assert!(text.contains("Zoë 李"), "{text}");
    assert!(text.contains("Workspace 支付 Zoë"), "{text}");
    assert!(text.contains("by Ярослав"), "{text}");
    tool(
        Command::new("pdftoppm")
            .args(["-r", "60", "-png", "-singlefile", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg(output_dir().join("missing-page-1")),
    );
}

// ---- Real keys in the OS keychain, a real registry: run under scripts/with-keychain.sh ----

mod real {
    use chrono::Duration;
    use tollgate::api::{self, ExportFormat, ExportRequest};
    use tollgate::config::Workspace;

    use tollgate_testsupport::signed::{at, t0, SignedWorkspace};

    /// What the test calls the digests of images A and B, and its one approver.
    struct Names {
        a: String,
        b: String,
        quinn: String,
    }

    /// Image A in dev, image B under the tag `next`; staging needs one approval by QA (quinn).
    fn fixture() -> (SignedWorkspace, Names) {
        let f = SignedWorkspace::builder(
            "export-real",
            &[
                r#"{ name = "dev", tag = "dev" }"#,
                r#"{ name = "staging", tag = "staging", policy = { approvals = 1, roles = ["qa"] } }"#,
            ],
        )
        .image("dev", "export-a")
        .image("next", "export-b")
        .approver("quinn-export", &["qa"])
        .build();
        let [a, b] = <[String; 2]>::try_from(f.digests.clone()).unwrap();
        let quinn = f.approvers[0].clone();
        (f, Names { a, b, quinn })
    }

    fn export(
        f: &SignedWorkspace,
        ws: &Workspace,
        format: ExportFormat,
        name: &str,
    ) -> api::ExportSummary {
        api::export(
            ws,
            &tollgate_testsupport::signed::ctx_at(t0() + Duration::days(2)),
            ExportRequest {
                format,
                app: Some("api".into()),
                env: Some("staging".into()),
                since: None,
                until: None,
                out: f.tmp.path().join(name),
            },
        )
        .unwrap()
    }

    #[test]
    fn promotion_and_rollback_signed_in_the_keychain_export_and_verify() {
        let (f, n) = fixture();
        f.sync(&at(0));
        f.approve(&at(1), &n.quinn, "staging", &n.a, None).unwrap();
        f.promote(&at(2), "staging", &n.a, "release-bot").unwrap();
        f.record(&at(3), "dev", &n.b);
        f.approve(&at(4), &n.quinn, "staging", &n.b, None).unwrap();
        f.promote(&at(5), "staging", &n.b, "release-bot").unwrap();
        f.approve(&at(6), &n.quinn, "staging", &n.a, None).unwrap();
        f.rollback(&at(7), "staging", &n.a, "release-bot").unwrap();

        let json = export(&f, &f.ws, ExportFormat::Json, "staging.json");
        assert!(json.clean(), "{:?}", json.signatures);
        assert_eq!(json.signatures.verified, 3);
        assert!(json.stubs > 0, "dev events are link stubs");
        let path = f.tmp.path().join("staging.json");
        let check = api::verify_report(&path, None, true).unwrap();
        assert!(check.ok(), "{:?}", check.problems);
        assert_eq!(check.signatures_verified, 3);
        assert_eq!(
            super::recipe(&path).0,
            0,
            "ssh-keygen verifies the real keys"
        );

        let pdf = export(&f, &f.ws, ExportFormat::Pdf, "staging.pdf");
        assert_eq!(pdf.summary.apps[0].rollbacks, 1);
        let text = super::tool(
            std::process::Command::new("pdftotext")
                .arg(f.tmp.path().join("staging.pdf"))
                .arg("-"),
        );
        let flat = super::no_space(&text);
        assert!(
            text.contains("ROLLBACK") && text.contains("PROMOTION"),
            "{text}"
        );
        assert!(flat.contains(&n.quinn) && flat.contains(&n.a) && flat.contains(&n.b));

        // Quinn's key is replaced in tollgate.toml: the old approvals no longer check out, and
        // the export says so instead of hiding it.
        let rotated = f.rotate_key(&n.quinn);
        let summary = export(&f, &rotated, ExportFormat::Json, "rotated.json");
        assert!(!summary.clean());
        assert_eq!(summary.signatures.problems.len(), 3);
        let check = api::verify_report(&f.tmp.path().join("rotated.json"), None, true).unwrap();
        assert_eq!(
            check
                .problems
                .iter()
                .filter(|p| p.message.contains("does not verify"))
                .count(),
            3,
            "{:?}",
            check.problems
        );

        // The same rotation done right: the old key stays under previous_keys until 2026-11-02
        // 14:00 (t0 + 5 h). The approvals it signed at t0 + 1 h and + 4 h still verify, in
        // Tollgate and in ssh-keygen (valid-before, -Overify-time); the one of t0 + 6 h does not.
        let kept = f.rotate_key_keeping_old(&n.quinn, "2026-11-02T14:00:00Z");
        let summary = export(&f, &kept, ExportFormat::Json, "kept.json");
        let late = |problems: Vec<String>| {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(
                problems[0].contains("is retired") && problems[0].contains("2026-11-02T15:00:00Z"),
                "{problems:?}"
            );
        };
        assert_eq!(summary.signatures.verified, 2);
        late(
            summary
                .signatures
                .problems
                .into_iter()
                .map(|p| p.message)
                .collect(),
        );
        let kept_path = f.tmp.path().join("kept.json");
        let report = super::read_json(&kept_path);
        assert!(
            report["allowed_signers"]
                .as_str()
                .unwrap()
                .contains("valid-before=\"20261102140000Z\""),
            "{}",
            report["allowed_signers"]
        );
        let check = api::verify_report(&kept_path, None, true).unwrap();
        assert_eq!(check.signatures_verified, 2);
        late(check.problems.into_iter().map(|p| p.message).collect());
        let (code, out) = super::recipe(&kept_path);
        let late_seq = check_seq_of_late(&report);
        assert_eq!(code, 1, "{out}");
        assert_eq!(
            out.trim(),
            format!(
                "event {late_seq}: the approval signature does not verify against allowed_signers"
            ),
            "ssh-keygen refuses only the approval signed after the key was retired"
        );
        late(
            api::verify(&kept)
                .unwrap()
                .problems
                .into_iter()
                .map(|p| p.reason)
                .collect(),
        );

        // Retired after the last approval: everything verifies, with both tools.
        let kept = f.rotate_key_keeping_old(&n.quinn, "2026-11-02T16:00:00+01:00");
        let summary = export(&f, &kept, ExportFormat::Json, "kept-all.json");
        assert!(summary.clean(), "{:?}", summary.signatures);
        assert_eq!(summary.signatures.verified, 3);
        let path = f.tmp.path().join("kept-all.json");
        assert!(api::verify_report(&path, None, true).unwrap().ok());
        assert_eq!(
            super::recipe(&path).0,
            0,
            "ssh-keygen verifies with the previous key"
        );
        assert!(api::verify(&kept).unwrap().ok());
        // A new approval must be signed with the new key: the keychain still holds the old one.
        let e = f
            .approve_in(&kept, &at(8), &n.quinn, "staging", &n.b, None)
            .unwrap_err();
        assert!(e.message.contains("is not the key listed"), "{}", e.message);
        f.restore_config();
    }

    /// The seq of the approval signed at t0 + 6 h.
    fn check_seq_of_late(report: &serde_json::Value) -> i64 {
        report["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["kind"] == "approval"
                    && e["at"].as_str().unwrap().starts_with("2026-11-02T15:00:00")
            })
            .expect("the approval of t0 + 6 h")["seq"]
            .as_i64()
            .unwrap()
    }
}

/// The lines of `pdftotext -layout` for page `page` of `pdf`.
fn layout_page(pdf: &Path, page: usize) -> String {
    tool(
        Command::new("pdftotext")
            .args(["-layout", "-f", &page.to_string(), "-l", &page.to_string()])
            .arg(pdf)
            .arg("-"),
    )
}

/// A line of `text` whose words are exactly `words` (columns of a table row in `-layout`).
fn has_row(text: &str, words: &[&str]) -> bool {
    text.lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>() == words)
}

/// A history made through the store with one exception of every kind an event can carry (an
/// unapproved record later replaced by a promotion, drift later acknowledged by a record, an
/// emergency rollback, a rejection) and a failed promotion journal entry; versions for two
/// digests. Exported to PDF and JSON with the library.
#[test]
fn pdf_for_an_auditor_page_one_exceptions_contents_timelines_sign_off_tagged_pdf_a() {
    let tmp = TempWorkspace::new(&workspace_toml(
        "audited",
        "http://127.0.0.1:9",
        &[
            r#"{ name = "staging", tag = "staging" }"#,
            r#"{ name = "production", tag = "production", policy = { approvals = 1 } }"#,
        ],
    ));
    let ws = Workspace::load(&tmp.config(), None).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let (a, b, c) = (
        Digest::of(b"release a"),
        Digest::of(b"release b"),
        Digest::of(b"release c"),
    );
    let event =
        |minutes: i64, kind: EventKind, env: &str, digest: &Digest, actor: &str, data: Value| {
            NewEvent {
                at: t0 + Duration::minutes(minutes),
                kind,
                app: "api".into(),
                env: env.into(),
                digest: Some(digest.clone()),
                actor: Some(actor.into()),
                data,
            }
        };
    let repo = "local/payments/api";
    let rec = |d: &Digest| serde_json::json!({"repository": repo, "image": format!("{repo}@{d}")});
    let evaluation = serde_json::json!({"passed": true, "rules": [
        {"rule": "min_soak", "passed": true, "reason": "soaked since 2026-03-01T09:00:00.000Z", "blocking": true}
    ], "counted": [6], "ignored": []});
    let mut store = Store::open(&ws.db_path).unwrap();
    store
        .append(vec![
            event(0, EventKind::Record, "staging", &a, "ci@example.com", rec(&a)),
            event(60, EventKind::Record, "production", &a, "ci@example.com", rec(&a)),
            event(120, EventKind::Drift, "staging", &b, "", serde_json::json!({"tag": "staging", "repository": repo})),
            event(180, EventKind::Record, "staging", &b, "ci@example.com", rec(&b)),
            event(200, EventKind::Observation, "staging", &b, "", serde_json::json!({"tag": "staging"})),
            event(210, EventKind::Approval, "production", &b, "quinn@example.com", serde_json::json!({"from": "staging", "to": "production", "role": "qa", "note": "load test signed off in QA-42", "message": "{}", "signature": "", "fingerprint": "SHA256:q"})),
            event(240, EventKind::Promotion, "production", &b, "release-bot", serde_json::json!({"from": "staging", "to": "production", "repository": repo, "tag": "production", "previous": a.to_string(), "approvals": [6], "evaluation": evaluation})),
            event(300, EventKind::Rollback, "production", &a, "release-bot", serde_json::json!({"from": "production", "to": "production", "repository": repo, "tag": "production", "previous": b.to_string(), "approvals": [], "emergency": true})),
            event(360, EventKind::Rejection, "production", &b, "quinn@example.com", serde_json::json!({"role": "qa", "reason": "CVE-2026-1234 in libfoo", "fingerprint": "SHA256:q"})),
        ])
        .unwrap();
    for (d, v) in [(&a, "1.4.0"), (&b, "1.5.0")] {
        let info = tollgate::domain::ImageInfo {
            digest: d.clone(),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            size: 1,
            created: None,
            revision: None,
            version: Some(v.to_string()),
            source: None,
            labels: Default::default(),
            platforms: vec![],
        };
        store.put_image_info(&info).unwrap();
    }
    let failed = store
        .journal_begin(&tollgate::store::NewPromotion {
            kind: EventKind::Promotion,
            app: "api".into(),
            from_env: "staging".into(),
            to_env: "production".into(),
            digest: c.clone(),
            src_repository: repo.into(),
            dst_repository: repo.into(),
            tag: "production".into(),
            git: None,
            approvals: vec![],
            evaluation: serde_json::json!({}),
            actor: "release-bot".into(),
            previous: Some(a.clone()),
            emergency_reason: None,
            at: t0 + Duration::minutes(400),
            owner: tollgate::store::JournalOwner {
                host: "h".into(),
                pid: 1,
                started: None,
                token: "t".into(),
            },
        })
        .unwrap();
    store
        .journal_fail(
            failed.id,
            "the registry refused the tag PUT",
            t0 + Duration::minutes(401),
        )
        .unwrap();
    drop(store);

    let ctx = tollgate_testsupport::signed::ctx_at(t0 + Duration::days(1));
    let pdf = tmp.path().join("audit.pdf");
    api::export(
        &ws,
        &ctx,
        ExportRequest::everything(ExportFormat::Pdf, &pdf),
    )
    .unwrap();

    // Page one: the period, the verification result, the exceptions counted (open / closed).
    let one = layout_page(&pdf, 1);
    assert!(
        one.contains("Period") && one.contains("the whole history"),
        "{one}"
    );
    assert!(one.contains("History chain intact"), "{one}");
    for (kind, n, open, closed) in [
        (&["Drift"][..], "1", "0", "1"),
        (&["Unapproved", "records"][..], "1", "0", "1"),
        (&["Emergency", "rollbacks"][..], "1", "1", "0"),
        (&["Failed", "promotions"][..], "1", "1", "0"),
        (&["Rejections"][..], "1", "1", "0"),
        (&["Conflicts"][..], "0", "0", "0"),
    ] {
        let mut row = kind.to_vec();
        row.extend([n, open, closed]);
        assert!(has_row(&one, &row), "page one has the row {row:?}: {one}");
    }
    // And listed, each open or closed, versions beside short digests.
    let flat_one = no_space(&one);
    for words in [
        "DRIFT",
        "UNAPPROVEDRECORD",
        "EMERGENCYROLLBACK",
        "FAILEDPROMOTION",
        "REJECTION",
        "closedby#4",
        "closedby#7",
        "OPEN",
        "1.4.0(sha256:",
        "registryrefusedthetagPUT",
        "CVE-2026-1234inlibfoo",
    ] {
        assert!(flat_one.contains(words), "page one says {words}: {one}");
    }
    assert!(
        flat_one.contains(&format!("1.5.0(sha256:{})", b.short())),
        "{one}"
    );

    // The whole text: contents, timelines, notes, records, vocabulary, sign-off, how to check.
    let text = tool(Command::new("pdftotext").arg("-layout").arg(&pdf).arg("-"));
    for heading in [
        "Contents",
        "Timelines",
        "Deployment records",
        "How to check this report",
        "Sign-off",
    ] {
        assert!(text.contains(heading), "{heading}: {text}");
    }
    let contents = layout_page(&pdf, 2);
    assert!(
        contents
            .lines()
            .any(|l| l.starts_with("Sign-off") && l.trim_end().ends_with(char::is_numeric)),
        "the contents give the sign-off's page: {contents}"
    );
    assert!(
        text.contains("note: load test signed off in QA-42"),
        "{text}"
    );
    assert!(text.contains("PASS · soak time"), "{text}");
    assert!(!text.contains("min_soak"), "one vocabulary: {text}");
    assert!(!text.contains("T09:00:00.000Z"), "one date format: {text}");
    assert!(text.contains("version 1.5.0"), "{text}");
    let sign_off = layout_page(&pdf, pdfinfo_pages(&pdf));
    for field in ["Reviewed by (auditor)", "Name", "Role", "Date", "Signature"] {
        assert!(sign_off.contains(field), "{field}: {sign_off}");
    }
    let how = text
        .split("How to check this report")
        .nth(2)
        .or_else(|| text.split("How to check this report").nth(1))
        .unwrap()
        .split("Sign-off")
        .next()
        .unwrap();
    for path in ["docs/src", ".md", "crates/", "src/"] {
        assert!(
            !how.contains(path),
            "no repository path ({path}) for an auditor: {how}"
        );
    }
    assert!(
        how.contains("ssh-keygen -Y verify") && how.contains("sha256sum"),
        "{how}"
    );
    // A table reads row by row: the stays of production, oldest first, each on its row.
    let stays = text.split("production: stays").nth(1).unwrap();
    let first = stays.find("1.4.0").unwrap();
    let second = stays.find("version 1.5.0").unwrap();
    assert!(first < second, "{stays}");

    // Tagged, PDF/A-2b metadata, and structurally sound.
    let info = tool(Command::new("pdfinfo").arg(&pdf));
    assert!(info.contains("Tagged:          yes"), "{info}");
    let meta = tool(Command::new("pdfinfo").arg("-meta").arg(&pdf));
    assert!(
        meta.contains("<pdfaid:part>2</pdfaid:part>")
            && meta.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{meta}"
    );
    let check = Command::new("qpdf")
        .arg("--check")
        .arg(&pdf)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "qpdf --check: {said}");
    assert!(
        said.contains("No syntax or stream encoding errors found"),
        "{said}"
    );
    // The structure reads in order: page one's counts table row by row, cell by cell.
    let tagged = tool(Command::new("pdfinfo").arg("-struct-text").arg(&pdf));
    let texts: Vec<&str> = tagged
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix('"'))
        .map(str::trim)
        .collect();
    assert_eq!(texts[..2], ["TOLLGATE", "Audit report"], "{tagged}");
    assert!(
        texts.windows(4).any(|w| w == ["Rejections", "1", "1", "0"]),
        "{tagged}"
    );
    assert!(
        tagged.contains("H1") && tagged.contains("TH") && tagged.contains("Figure"),
        "{tagged}"
    );
    // Bookmarks: the sections, the sign-off opening the last page.
    let outlines: Value = serde_json::from_str(&tool(
        Command::new("qpdf")
            .args(["--json", "--json-key=outlines"])
            .arg(&pdf),
    ))
    .unwrap();
    let marks = outlines["outlines"].as_array().unwrap();
    let sign = marks.iter().find(|m| m["title"] == "Sign-off").unwrap();
    assert_eq!(sign["destpageposfrom1"], pdfinfo_pages(&pdf));
    assert!(marks
        .iter()
        .any(|m| m["title"] == "Timelines" && m["kids"][0]["title"] == "api"));
    // Wrapped words stay apart, a digest broken over lines stays whole.
    assert!(tagged.contains(&format!("version 1.5.0 {b}")), "{tagged}");
    let raw = tool(
        Command::new("qpdf")
            .args(["--qdf", "--object-streams=disable"])
            .arg(&pdf)
            .arg("-"),
    );
    for needle in [
        "/StructTreeRoot",
        "/ParentTree",
        "/MarkInfo",
        "/OutputIntents",
        "/GTS_PDFA1",
        "/MCID",
        "/S /Table",
        "/S /TR",
        "/S /TH",
        "/S /Figure",
    ] {
        assert!(raw.contains(needle), "the PDF has {needle}");
    }
    tool(
        Command::new("pdftoppm")
            .args(["-r", "100", "-png", "-singlefile", "-f", "1", "-l", "1"])
            .arg(&pdf)
            .arg(output_dir().join("auditor-page-1")),
    );

    // The JSON of the same history carries the same exceptions.
    let json = tmp.path().join("audit.json");
    api::export(
        &ws,
        &ctx,
        ExportRequest::everything(ExportFormat::Json, &json),
    )
    .unwrap();
    let report = read_json(&json);
    let kinds: Vec<(&str, bool)> = report["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["kind"].as_str().unwrap(), x["open"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("drift", false),
            ("unapproved_record", false),
            ("emergency_rollback", true),
            ("failed_promotion", true),
            ("rejection", true)
        ]
    );
}

fn pdfinfo_pages(pdf: &Path) -> usize {
    tool(Command::new("pdfinfo").arg(pdf))
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// The recipe the PDF prints for an auditor, run on a real report and on a tampered one.
#[test]
fn the_pdf_s_stock_tool_recipe_checks_a_real_report_and_names_a_tampered_one() {
    let (demo, json, good) = good_report();
    let dir = tempfile::tempdir().unwrap();
    let run = |report: &Value| {
        write_json(&dir.path().join("report.json"), report);
        let out = Command::new("bash")
            .arg("-c")
            .arg(tollgate::report::pdf::AUDITOR_RECIPE)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = run(&good);
    let head = good["database"]["head_hash"].as_str().unwrap();
    assert_eq!(said.trim(), head, "only the chain head: nothing is wrong");
    let _ = (demo, json);

    let mut changed = good.clone();
    let i = nth_of(&changed, "promotion", 0);
    changed["events"][i]["hash"] = Value::from("0".repeat(64));
    let said = run(&changed);
    assert!(
        said.contains("its hash does not match its content"),
        "{said}"
    );

    let mut forged = good.clone();
    let j = nth_of(&forged, "approval", 0);
    let k = nth_of(&forged, "approval", 1);
    let other = forged["events"][k]["data"]["signature"].clone();
    forged["events"][j]["data"]["signature"] = other;
    let said = run(&forged);
    let seq = forged["events"][j]["seq"].as_i64().unwrap();
    assert!(
        said.contains(&format!("approval {seq}: its signature does not verify")),
        "{said}"
    );
}
