//! Approval signature verification throughput: 10,000 distinct approval messages signed by a few
//! keys, each verified as the policy does it (armored SSHSIG, namespace, hash, key, signature).
//!
//!   cargo bench -p tollgate --bench signing
//!
//! Target: at least 20,000 signatures/s.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use tollgate::domain::Digest;
use tollgate::keychain::MemoryKeychain;
use tollgate::signing::{self, Anchor, ApprovalMessage, Target};

const APPROVALS: usize = 10_000;
const KEYS: usize = 4;
const TARGET_PER_SECOND: f64 = 20_000.0;

fn main() {
    let keychain = MemoryKeychain::default();
    let approvers: Vec<(String, String)> = (0..KEYS)
        .map(|i| {
            let id = format!("approver{i}@example.com");
            let key = signing::generate_key(&id, &keychain)
                .expect("key")
                .public_key;
            (id, key)
        })
        .collect();

    let start = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
    let signed: Vec<(Vec<u8>, String, &str)> = (0..APPROVALS)
        .map(|i| {
            let (id, key) = &approvers[i % KEYS];
            let target = Target {
                app: format!("app{}", i % 7),
                digest: Digest::of(i.to_string().as_bytes()),
                from: "staging".into(),
                to: "production".into(),
            };
            let at = start + Duration::seconds(i as i64);
            let msg =
                ApprovalMessage::new(&target, id, "qa", at, None, &Anchor::genesis()).to_bytes();
            let sig = signing::sign(id, &msg, &keychain).expect("sign");
            (msg, sig, key.as_str())
        })
        .collect();

    // Warm up, then measure one pass over all of them: one thread (`verify`), then all cores
    // (`verify_many`, what checking a whole history uses).
    for (msg, sig, key) in signed.iter().take(200) {
        signing::verify(msg, sig, key).expect("verifies");
    }
    let t0 = Instant::now();
    for (msg, sig, key) in &signed {
        signing::verify(msg, sig, key).expect("verifies");
    }
    report("verify, 1 thread", t0.elapsed().as_secs_f64());

    let items: Vec<(&[u8], &str, &str)> = signed
        .iter()
        .map(|(m, s, k)| (m.as_slice(), s.as_str(), *k))
        .collect();
    let t0 = Instant::now();
    let results = signing::verify_many(&items);
    let elapsed = t0.elapsed().as_secs_f64();
    assert!(results.iter().all(Result::is_ok));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    report(&format!("verify_many, {cores} cores"), elapsed);
}

fn report(what: &str, seconds: f64) {
    let rate = APPROVALS as f64 / seconds;
    println!(
        "{what}: {APPROVALS} approvals ({KEYS} keys) in {:.1} ms = {rate:.0} signatures/s (target >= {TARGET_PER_SECOND:.0}/s: {})",
        seconds * 1e3,
        if rate >= TARGET_PER_SECOND { "met" } else { "NOT met" }
    );
}
