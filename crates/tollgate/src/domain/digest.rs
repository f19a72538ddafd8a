use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Code, Error, Result};

/// A content digest `sha256:<64 lowercase hex>`: the identity of an image manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    /// Parse `sha256:<64 hex>`. Anything else (a tag, a short digest, another algorithm,
    /// upper-case hex) is an error that says what a digest looks like.
    pub fn parse(s: &str) -> Result<Self> {
        let Some(hex) = s.strip_prefix("sha256:") else {
            return Err(Error::new(
                Code::InvalidReference,
                format!("'{s}' is not a digest: expected sha256:<64 hex digits>, as a registry names an image's manifest"),
            ));
        };
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(Error::new(
                Code::InvalidReference,
                format!("'{s}' is not a digest: after 'sha256:' expected 64 lower-case hex digits, found {} characters", hex.len()),
            ));
        }
        Ok(Digest(s.to_string()))
    }

    /// The digest of these bytes.
    pub fn of(bytes: &[u8]) -> Self {
        Digest(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }

    /// Check that `bytes` hash to this digest.
    pub fn verify(&self, bytes: &[u8]) -> Result<()> {
        let actual = Digest::of(bytes);
        if &actual == self {
            Ok(())
        } else {
            Err(Error::new(
                Code::DigestMismatch,
                format!("content does not match its digest: expected {self}, got {actual}; the registry or its storage is serving altered bytes, do not use this image"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64 hex digits without the algorithm.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// The first 12 hex digits: what a person confirms and what the UI shows.
    pub fn short(&self) -> &str {
        &self.hex()[..12]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Digest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Digest::parse(s)
    }
}

impl TryFrom<String> for Digest {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Digest::parse(&s)
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Digest::of(b"hello");
        assert_eq!(
            d.as_str(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(Digest::parse(d.as_str()).unwrap(), d);
        assert_eq!(d.short(), "2cf24dba5fb0");
        for bad in [
            "latest",
            "sha256:abc",
            "sha512:00",
            "SHA256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
        ] {
            let e = Digest::parse(bad).unwrap_err();
            assert_eq!(e.code, Code::InvalidReference, "{bad}");
        }
        assert!(d.verify(b"hello").is_ok());
        assert_eq!(d.verify(b"hellO").unwrap_err().code, Code::DigestMismatch);
    }
}
