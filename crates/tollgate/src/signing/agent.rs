//! The two requests of the ssh-agent protocol Tollgate needs (draft-miller-ssh-agent):
//! list the agent's keys (`SSH_AGENTC_REQUEST_IDENTITIES`) and sign with one of them
//! (`SSH_AGENTC_SIGN_REQUEST`), over the Unix socket `SSH_AUTH_SOCK` names.
//!
//! Each message is a `uint32` length, a type byte and its payload; strings are a `uint32`
//! length and the bytes. This is small enough to implement here rather than pull in an async
//! agent crate for two synchronous requests (docs/src/policies/signing-identities.md).

use std::path::Path;

use ssh_key::{PublicKey, Signature};

use crate::{Code, Error, Result};

#[cfg_attr(not(unix), allow(dead_code))]
const FAILURE: u8 = 5;
const REQUEST_IDENTITIES: u8 = 11;
#[cfg_attr(not(unix), allow(dead_code))]
const IDENTITIES_ANSWER: u8 = 12;
const SIGN_REQUEST: u8 = 13;
#[cfg_attr(not(unix), allow(dead_code))]
const SIGN_RESPONSE: u8 = 14;
/// Longest answer read from an agent (its own limit is 256 KiB).
#[cfg_attr(not(unix), allow(dead_code))]
const MAX_MESSAGE: usize = 256 * 1024;

/// The public keys the agent holds (keys of types this crate cannot read are skipped).
pub(super) fn identities(socket: &Path) -> Result<Vec<PublicKey>> {
    let answer = request(socket, REQUEST_IDENTITIES, &[])?;
    let mut r = Reader(&answer);
    let n = r.u32()?;
    let mut keys = Vec::new();
    for _ in 0..n {
        let blob = r.string()?;
        let _comment = r.string()?;
        if let Ok(key) = PublicKey::from_bytes(blob) {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Have the agent sign `data` with `key` (which it holds). For Ed25519 the agent signs the
/// bytes themselves; no flags are needed.
pub(super) fn sign(socket: &Path, key: &PublicKey, data: &[u8]) -> Result<Signature> {
    let blob = key
        .to_bytes()
        .map_err(|e| Error::internal(format!("could not encode a public key: {e}")))?;
    let mut payload = Vec::new();
    put_string(&mut payload, &blob);
    put_string(&mut payload, data);
    payload.extend_from_slice(&0u32.to_be_bytes());
    let answer = request(socket, SIGN_REQUEST, &payload).map_err(|e| {
        agent_error(format!(
            "{} (is the key still in it? `ssh-add -l`)",
            e.message
        ))
    })?;
    let mut r = Reader(&answer);
    let sig = r.string()?;
    Signature::try_from(sig)
        .map_err(|e| agent_error(format!("the agent's signature is not readable: {e}")))
}

#[cfg(unix)]
fn request(socket: &Path, kind: u8, payload: &[u8]) -> Result<Vec<u8>> {
    use std::io::{Read, Write};
    let shown = socket.display();
    let mut stream = std::os::unix::net::UnixStream::connect(socket).map_err(|e| {
        agent_error(format!(
            "cannot reach the ssh-agent at {shown} ({e}); check SSH_AUTH_SOCK"
        ))
    })?;
    let io = |e: std::io::Error| agent_error(format!("the ssh-agent at {shown} hung up ({e})"));
    let len =
        u32::try_from(payload.len() + 1).map_err(|_| agent_error("request too long".into()))?;
    let mut message = Vec::with_capacity(payload.len() + 5);
    message.extend_from_slice(&len.to_be_bytes());
    message.push(kind);
    message.extend_from_slice(payload);
    stream.write_all(&message).map_err(io)?;
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).map_err(io)?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 || len > MAX_MESSAGE {
        return Err(agent_error(format!(
            "the ssh-agent at {shown} answered a message of {len} bytes"
        )));
    }
    let mut answer = vec![0u8; len];
    stream.read_exact(&mut answer).map_err(io)?;
    let expected = match kind {
        REQUEST_IDENTITIES => IDENTITIES_ANSWER,
        _ => SIGN_RESPONSE,
    };
    match answer[0] {
        t if t == expected => Ok(answer.split_off(1)),
        FAILURE => Err(agent_error(format!("the ssh-agent at {shown} refused"))),
        t => Err(agent_error(format!(
            "the ssh-agent at {shown} answered message type {t}, expected {expected}"
        ))),
    }
}

#[cfg(not(unix))]
fn request(_socket: &Path, _kind: u8, _payload: &[u8]) -> Result<Vec<u8>> {
    Err(agent_error(
        "ssh-agent over SSH_AUTH_SOCK is supported on Unix only".into(),
    ))
}

fn agent_error(message: String) -> Error {
    Error::new(Code::Keychain, message)
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Result<u32> {
        let (head, rest) = self
            .0
            .split_first_chunk::<4>()
            .ok_or_else(|| agent_error("the ssh-agent's answer is cut short".into()))?;
        self.0 = rest;
        Ok(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        if len > self.0.len() {
            return Err(agent_error("the ssh-agent's answer is cut short".into()));
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(s)
    }
}
