//! Git commit objects signed in git's own SSH form (`gpg.format=ssh`): the exact bytes git
//! writes for a commit, an SSHSIG over them (namespace `git`, sha512) by the same [`Signer`]
//! that signs approvals, inserted as a `gpgsig` header; and the reverse, a raw commit object's
//! `gpgsig` split off and checked against the keys `tollgate.toml` lists, as
//! `git verify-commit` with `gpg.ssh.allowedSignersFile` checks it.
//!
//! Pure: no repository, no clock. Objects of SHA-1 repositories (the header is `gpgsig`;
//! SHA-256 repositories use `gpgsig-sha256`, which is read as "another signature" and skipped).

use chrono::{DateTime, Utc};
use ssh_key::{HashAlg, PublicKey, SshSig};

use super::source::Signer;
use super::sshsig::verify_in;
use super::trust::{pick, TrustedKeys};
use crate::{Code, Error, Result};

/// The SSHSIG namespace git signs and verifies commits in (`ssh-keygen -Y verify -n git`).
pub const GIT_NAMESPACE: &str = "git";

/// The header that holds a commit's signature in a SHA-1 repository.
const SIGNATURE_HEADER: &str = "gpgsig";

/// An author or committer line: `Name <email> <seconds since the epoch> <+hhmm>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitPerson {
    pub name: String,
    pub email: String,
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// The offset from UTC in minutes (east positive): `+0100` is 60.
    pub offset_minutes: i32,
}

impl GitPerson {
    /// `name <email> seconds +hhmm`, as git writes it; a name or email git could not write
    /// back unchanged (`<`, `>`, a line break, surrounding spaces, empty) is refused.
    pub fn line(&self) -> Result<String> {
        for (what, value) in [("name", &self.name), ("email", &self.email)] {
            if value.is_empty()
                || value.trim() != value
                || value.contains(['<', '>', '\n', '\r', '\0'])
            {
                return Err(Error::bad_input(format!(
                    "the commit {what} {value:?} cannot be written into a git commit: it must be non-empty, without <, >, line breaks or surrounding spaces; fix the identity's {what}"
                )));
            }
        }
        if self.offset_minutes.abs() >= 100 * 60 {
            return Err(Error::bad_input(format!(
                "the commit time offset {} minutes is not a time zone; use one between -99:59 and +99:59",
                self.offset_minutes
            )));
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.abs();
        Ok(format!(
            "{} <{}> {} {sign}{:02}{:02}",
            self.name,
            self.email,
            self.seconds,
            off / 60,
            off % 60
        ))
    }
}

/// What a commit object is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFields {
    /// The tree's object id (40 lower-case hex digits).
    pub tree: String,
    /// The parents' object ids, first parent first.
    pub parents: Vec<String>,
    pub author: GitPerson,
    pub committer: GitPerson,
    /// The whole message; a final line break is added when missing, as `git commit` does.
    pub message: String,
}

/// The commit object git writes for `fields`, unsigned (`git cat-file commit <id>` prints it;
/// its sha1 over `commit <len>\0<bytes>` is the commit id).
pub fn commit_bytes(fields: &CommitFields) -> Result<Vec<u8>> {
    let mut out = String::new();
    check_object_id("tree", &fields.tree)?;
    out.push_str(&format!("tree {}\n", fields.tree));
    for parent in &fields.parents {
        check_object_id("parent", parent)?;
        out.push_str(&format!("parent {parent}\n"));
    }
    out.push_str(&format!("author {}\n", fields.author.line()?));
    out.push_str(&format!("committer {}\n", fields.committer.line()?));
    out.push('\n');
    out.push_str(&fields.message);
    if !fields.message.ends_with('\n') {
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// The signed commit object: [`commit_bytes`] signed by `signer` (SSHSIG, namespace `git`,
/// sha512) and the signature inserted as its `gpgsig` header.
pub fn sign_commit(fields: &CommitFields, signer: &Signer) -> Result<Vec<u8>> {
    let unsigned = commit_bytes(fields)?;
    let armored = signer.sign_in(GIT_NAMESPACE, &unsigned)?;
    insert_signature(&unsigned, &armored)
}

/// Insert `armored` into the unsigned commit object as git does (`do_sign_commit`): a `gpgsig`
/// header at the end of the headers, every further line of the signature prefixed by a space.
pub fn insert_signature(unsigned: &[u8], armored: &str) -> Result<Vec<u8>> {
    let end = header_end(unsigned).ok_or_else(|| {
        Error::internal("a commit object without the blank line after its headers")
    })?;
    if armored.is_empty() || armored.contains('\r') {
        return Err(Error::internal(
            "a commit signature must be non-empty text with LF line endings",
        ));
    }
    let mut header = String::from(SIGNATURE_HEADER);
    for line in armored.split_inclusive('\n') {
        header.push(' ');
        header.push_str(line);
    }
    if !header.ends_with('\n') {
        header.push('\n');
    }
    let mut out = Vec::with_capacity(unsigned.len() + header.len());
    out.extend_from_slice(&unsigned[..end]);
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&unsigned[end..]);
    Ok(out)
}

/// A raw commit object split as git splits it to verify it (`parse_buffer_signed_by_header`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitCommit {
    /// The object without any `gpgsig*` header: the bytes that were signed.
    pub payload: Vec<u8>,
    /// The `gpgsig` header's value, continuation spaces removed; `None` when unsigned.
    pub signature: Option<String>,
}

/// Split the `gpgsig` header off a raw commit object (headers only; the message is kept whole).
pub fn split_signature(raw: &[u8]) -> SplitCommit {
    let mut payload = Vec::with_capacity(raw.len());
    let mut signature: Option<Vec<u8>> = None;
    let (mut in_signature, mut other_signature) = (false, false);
    let mut rest = raw;
    while !rest.is_empty() {
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, after) = rest.split_at(len);
        if line == b"\n" {
            payload.extend_from_slice(rest);
            break;
        }
        let value = if in_signature && line.starts_with(b" ") {
            Some(&line[1..])
        } else if let Some(v) = line
            .strip_prefix(SIGNATURE_HEADER.as_bytes())
            .and_then(|v| v.strip_prefix(b" "))
        {
            other_signature = false;
            Some(v)
        } else {
            if line.starts_with(b"gpgsig") {
                other_signature = true;
            } else if other_signature && !line.starts_with(b" ") {
                other_signature = false;
            }
            None
        };
        match value {
            Some(v) => {
                signature.get_or_insert_with(Vec::new).extend_from_slice(v);
                in_signature = true;
            }
            None => {
                if !other_signature {
                    payload.extend_from_slice(line);
                }
                in_signature = false;
            }
        }
        rest = after;
    }
    SplitCommit {
        payload,
        signature: signature.map(|s| String::from_utf8_lossy(&s).into_owned()),
    }
}

/// Who signed a commit, when the signature verified against a listed key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSigner {
    /// The identity (approver or `[[signers]]` id) whose listed key made it.
    pub identity: String,
    /// `SHA256:…` of that key.
    pub fingerprint: String,
}

/// Why a commit's signature does not name a listed identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// No `gpgsig` header.
    Unsigned,
    /// A signature that is not SSH's (OpenPGP, X.509).
    NotSsh,
    /// An SSH signature that cannot be read.
    Unreadable(String),
    /// An SSH signature made for another namespace than `git`.
    WrongNamespace(String),
    /// Made by a key no identity lists.
    UnknownKey { fingerprint: String },
    /// Made by a previous key of `identity` that was no longer valid then.
    Retired { identity: String, why: String },
    /// The listed key's signature does not hold: the commit or the signature was altered.
    BadSignature { identity: String, why: String },
}

impl Unverified {
    /// One line saying what is wrong.
    pub fn message(&self) -> String {
        match self {
            Unverified::Unsigned => "the commit is not signed".into(),
            Unverified::NotSsh => {
                "the commit is signed, but not with an SSH key (OpenPGP or X.509); Tollgate checks SSH signatures (gpg.format=ssh)".into()
            }
            Unverified::Unreadable(why) => format!("the commit's SSH signature cannot be read: {why}"),
            Unverified::WrongNamespace(ns) => format!(
                "the commit's signature was made for namespace {ns:?}, not \"git\": it is not a commit signature"
            ),
            Unverified::UnknownKey { fingerprint } => format!(
                "the commit is signed by key {fingerprint}, which no identity in tollgate.toml lists"
            ),
            Unverified::Retired { why, .. } => why.clone(),
            Unverified::BadSignature { identity, why } => {
                format!("the commit's signature by {identity} does not verify: {why}")
            }
        }
    }

    /// [`Self::message`] as an [`Error`] ([`Code::SignatureInvalid`]).
    pub fn to_error(&self) -> Error {
        Error::new(Code::SignatureInvalid, self.message())
    }
}

/// Verify a raw commit object's `gpgsig` against `keys` (namespace `git`): who signed it, or
/// why not. `at` is when the history first saw the commit; a previous key counts only for
/// commits seen at or before its `until` (with `None`, only current keys count).
pub fn verify_commit(
    raw: &[u8],
    keys: &TrustedKeys,
    at: Option<DateTime<Utc>>,
) -> std::result::Result<CommitSigner, Unverified> {
    let split = split_signature(raw);
    let Some(armored) = split.signature else {
        return Err(Unverified::Unsigned);
    };
    if !armored
        .trim_start()
        .starts_with("-----BEGIN SSH SIGNATURE-----")
    {
        return Err(Unverified::NotSsh);
    }
    let sig = SshSig::from_pem(armored.trim().as_bytes())
        .map_err(|e| Unverified::Unreadable(e.to_string()))?;
    if sig.namespace() != GIT_NAMESPACE {
        return Err(Unverified::WrongNamespace(sig.namespace().to_string()));
    }
    let signer = PublicKey::new(sig.public_key().clone(), "");
    let fingerprint = signer.fingerprint(HashAlg::Sha256).to_string();
    let Some(identity) = keys
        .all()
        .into_iter()
        .find(|(_, k)| k.key.key_data() == signer.key_data())
        .map(|(id, _)| id.to_string())
    else {
        return Err(Unverified::UnknownKey { fingerprint });
    };
    let listed = keys.of(&identity).unwrap_or_default();
    let key = pick(listed, &identity, &signer, at).map_err(|why| Unverified::Retired {
        identity: identity.clone(),
        why,
    })?;
    match verify_in(GIT_NAMESPACE, &split.payload, &armored, &key.openssh()) {
        Ok(ok) => Ok(CommitSigner {
            identity,
            fingerprint: ok.fingerprint,
        }),
        Err(e) => Err(Unverified::BadSignature {
            identity,
            why: e.message,
        }),
    }
}

/// The offset of the blank line that ends the headers (the position just after the last
/// header's line break).
fn header_end(object: &[u8]) -> Option<usize> {
    object.windows(2).position(|w| w == b"\n\n").map(|i| i + 1)
}

fn check_object_id(what: &str, id: &str) -> Result<()> {
    if id.len() == 40
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(Error::bad_input(format!(
            "the {what} id {id:?} is not a git object id (40 lower-case hex digits)"
        )))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::ApproverConfig;
    use crate::keychain::MemoryKeychain;
    use crate::signing::{generate_key, Sources};

    /// A key made in a memory keychain, its listing in tollgate.toml, and its [`Signer`].
    pub(crate) fn signer(id: &str) -> (Signer, ApproverConfig) {
        let kc = MemoryKeychain::default();
        let info = generate_key(id, &kc).unwrap();
        let approver = ApproverConfig {
            id: id.into(),
            roles: vec![],
            key: info.public_key,
            previous_keys: vec![],
        };
        let signer = Signer::resolve(&approver, &Sources::default(), &kc).unwrap();
        (signer, approver)
    }

    pub(crate) fn fields() -> CommitFields {
        let person = |name: &str, email: &str, offset| GitPerson {
            name: name.into(),
            email: email.into(),
            seconds: 1_790_000_000,
            offset_minutes: offset,
        };
        CommitFields {
            tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".into(),
            parents: vec!["a".repeat(40)],
            author: person("Alice Example", "alice@example.com", 60),
            committer: person("Tollgate", "alice@example.com", -90),
            message: "Promote api\n\nTollgate-App: api".into(),
        }
    }

    #[test]
    fn the_unsigned_object_is_what_git_writes() {
        let bytes = commit_bytes(&fields()).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            format!(
                "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent {}\n\
                 author Alice Example <alice@example.com> 1790000000 +0100\n\
                 committer Tollgate <alice@example.com> 1790000000 -0130\n\n\
                 Promote api\n\nTollgate-App: api\n",
                "a".repeat(40)
            )
        );
        let mut root = fields();
        root.parents.clear();
        let text = String::from_utf8(commit_bytes(&root).unwrap()).unwrap();
        assert!(!text.contains("parent"), "{text}");
    }

    #[test]
    fn fields_git_cannot_write_are_refused() {
        let mut f = fields();
        f.author.email = "a>b".into();
        assert!(commit_bytes(&f)
            .unwrap_err()
            .message
            .contains("commit email"));
        let mut f = fields();
        f.committer.name = "Eve\nparent x".into();
        assert!(commit_bytes(&f).is_err());
        let mut f = fields();
        f.tree = "HEAD".into();
        assert!(commit_bytes(&f).unwrap_err().message.contains("tree id"));
        let mut f = fields();
        f.author.offset_minutes = 6000;
        assert!(commit_bytes(&f).is_err());
    }

    #[test]
    fn the_signature_goes_after_the_committer_and_splits_back_off() {
        let unsigned = commit_bytes(&fields()).unwrap();
        let armored = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n";
        let signed = String::from_utf8(insert_signature(&unsigned, armored).unwrap()).unwrap();
        let committer = "committer Tollgate <alice@example.com> 1790000000 -0130\n";
        assert!(
            signed.contains(&format!(
                "{committer}gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\nPromote api\n"
            )),
            "{signed}"
        );
        let split = split_signature(signed.as_bytes());
        assert_eq!(split.payload, unsigned);
        assert_eq!(split.signature.as_deref(), Some(armored));
        assert_eq!(split_signature(&unsigned).signature, None);
    }

    #[test]
    fn other_headers_stay_in_the_payload_and_other_signatures_leave_it() {
        let raw = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
                   author A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\
                   mergetag object 1\n type commit\n\
                   gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n other\n\
                   gpgsig -----BEGIN SSH SIGNATURE-----\n mine\n\
                   \nmessage\n gpgsig in the message stays\n";
        let split = split_signature(raw.as_bytes());
        assert_eq!(
            String::from_utf8(split.payload).unwrap(),
            "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
             author A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\
             mergetag object 1\n type commit\n\
             \nmessage\n gpgsig in the message stays\n"
        );
        assert_eq!(
            split.signature.as_deref(),
            Some("-----BEGIN SSH SIGNATURE-----\nmine\n")
        );
    }

    #[test]
    fn a_signed_commit_verifies_and_names_who_signed() {
        let (alice, alice_listed) = signer("alice@example.com");
        let (mallory, _) = signer("mallory@example.com");
        let keys = TrustedKeys::from_approvers(&[alice_listed]);
        let signed = sign_commit(&fields(), &alice).unwrap();
        assert_eq!(
            verify_commit(&signed, &keys, None).unwrap(),
            CommitSigner {
                identity: "alice@example.com".into(),
                fingerprint: alice.fingerprint(),
            }
        );

        // One byte of the message changed.
        let mut altered = signed.clone();
        let at = altered.len() - 3;
        altered[at] ^= 0x20;
        match verify_commit(&altered, &keys, None).unwrap_err() {
            Unverified::BadSignature { identity, why } => {
                assert_eq!(identity, "alice@example.com");
                assert!(why.contains("altered"), "{why}");
            }
            other => panic!("{other:?}"),
        }

        let by_mallory = sign_commit(&fields(), &mallory).unwrap();
        let e = verify_commit(&by_mallory, &keys, None).unwrap_err();
        assert_eq!(
            e,
            Unverified::UnknownKey {
                fingerprint: mallory.fingerprint()
            }
        );
        assert!(e.message().contains("no identity in tollgate.toml lists"));
        assert_eq!(e.to_error().code, Code::SignatureInvalid);

        let unsigned = commit_bytes(&fields()).unwrap();
        assert_eq!(
            verify_commit(&unsigned, &keys, None).unwrap_err(),
            Unverified::Unsigned
        );
    }

    #[test]
    fn another_namespace_or_format_is_not_a_commit_signature() {
        let (alice, listed) = signer("alice@example.com");
        let keys = TrustedKeys::from_approvers(&[listed]);
        let unsigned = commit_bytes(&fields()).unwrap();
        let approval = alice.sign(&unsigned).unwrap();
        let signed = insert_signature(&unsigned, &approval).unwrap();
        assert_eq!(
            verify_commit(&signed, &keys, None).unwrap_err(),
            Unverified::WrongNamespace("tollgate-approval".into())
        );
        let pgp = insert_signature(
            &unsigned,
            "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
        )
        .unwrap();
        assert_eq!(
            verify_commit(&pgp, &keys, None).unwrap_err(),
            Unverified::NotSsh
        );
        let cut = insert_signature(
            &unsigned,
            "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
        )
        .unwrap();
        assert!(matches!(
            verify_commit(&cut, &keys, None).unwrap_err(),
            Unverified::Unreadable(_)
        ));
    }
}
