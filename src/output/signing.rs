//! Signed reports: `teleprobe keygen` makes an Ed25519 key pair in
//! minisign's format (so Debian's `minisign -V` checks teleprobe's
//! signatures too), `--sign KEY` writes FILE.minisig beside each report
//! file, and `teleprobe verify` checks a report's signature and, from its
//! evidence block, the capture files' SHA-256. The secret key is
//! password-protected when TELEPROBE_KEY_PASSWORD is set; it never enters a
//! report. Never prints key material.

use crate::source::digest::hex;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The environment variable that holds the secret key's password.
pub const PASSWORD_VAR: &str = "TELEPROBE_KEY_PASSWORD";

fn password() -> Option<String> {
    std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty())
}

/// Writes KEY (the secret key, owner-only) and KEY.pub; returns the key id
/// and the public key file's text.
pub fn keygen(path: &Path, force: bool) -> Result<(String, String), String> {
    let public = public_path(path);
    for p in [path, public.as_path()] {
        if p.exists() && !force {
            return Err(format!(
                "{} exists; keep it, or pass --force to replace it (signatures made with it will then no longer verify against a new key)",
                p.display()
            ));
        }
    }
    let pair = match password() {
        Some(pw) => minisign::KeyPair::generate_encrypted_keypair(Some(pw)),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(|e| format!("cannot make a key pair: {e}"))?;
    let secret = pair
        .sk
        .to_box(Some("teleprobe secret key"))
        .map_err(|e| e.to_string())?
        .to_string();
    let public_text = pair.pk.to_box().map_err(|e| e.to_string())?.to_string();
    crate::output::private_file::write_bytes_private(path, secret.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::write(&public, &public_text)
        .map_err(|e| format!("cannot write {}: {e}", public.display()))?;
    Ok((key_id(pair.pk.keynum()), public_text))
}

/// KEY.pub beside KEY.
pub fn public_path(secret: &Path) -> PathBuf {
    let mut p = secret.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

/// The signature file of a report file.
pub fn signature_path(file: &Path) -> PathBuf {
    let mut p = file.as_os_str().to_owned();
    p.push(".minisig");
    PathBuf::from(p)
}

fn key_id(keynum: &[u8]) -> String {
    let mut id = [0u8; 8];
    id.copy_from_slice(&keynum[..8]);
    format!("{:016X}", u64::from_le_bytes(id))
}

/// A loaded secret key, checked before any analysis runs.
pub struct Signer {
    key: minisign::SecretKey,
}

impl Signer {
    pub fn load(path: &Path) -> Result<Signer, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the signing key {}: {e}; make one with `teleprobe keygen -o {}`",
                path.display(),
                path.display()
            )
        })?;
        let boxed = minisign::SecretKeyBox::from_string(&text)
            .map_err(|e| format!("{} is not a minisign secret key: {e}", path.display()))?;
        let key = match password() {
            Some(pw) => boxed.into_secret_key(Some(pw)),
            None => boxed.into_unencrypted_secret_key(),
        }
        .map_err(|e| {
            format!(
                "cannot open the signing key {}: {e} (an encrypted key needs its password in {PASSWORD_VAR})",
                path.display()
            )
        })?;
        Ok(Signer { key })
    }

    /// Signs `file`, writing FILE.minisig. The trusted comment (signed
    /// too) names the file, its SHA-256, the time and the tool.
    pub fn sign(&self, file: &Path) -> Result<PathBuf, String> {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let name = file
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let trusted = format!(
            "teleprobe/1 file={name} sha256={} signed={} tool=teleprobe-{}",
            hex(&Sha256::digest(&bytes)),
            crate::time::Timestamp::now(),
            env!("CARGO_PKG_VERSION")
        );
        let signature = minisign::sign(
            None,
            &self.key,
            std::io::Cursor::new(&bytes),
            Some(&trusted),
            Some("signature from a teleprobe secret key"),
        )
        .map_err(|e| format!("cannot sign {}: {e}", file.display()))?;
        let out = signature_path(file);
        crate::output::private_file::write_bytes_private(&out, signature.to_string().as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        Ok(out)
    }
}

/// One check `teleprobe verify` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub passed: bool,
    pub what: String,
}

fn check(passed: bool, what: String) -> Check {
    Check { passed, what }
}

/// Checks `report`'s signature with `public_key`, then each capture
/// given against the report's evidence block. Err: unusable input.
pub fn verify(
    report: &Path,
    public_key: &Path,
    captures: &[PathBuf],
) -> Result<Vec<Check>, String> {
    let bytes =
        std::fs::read(report).map_err(|e| format!("cannot read {}: {e}", report.display()))?;
    let sig_path = signature_path(report);
    let sig_text = std::fs::read_to_string(&sig_path)
        .map_err(|e| format!("cannot read the signature {}: {e}", sig_path.display()))?;
    let pk_text = std::fs::read_to_string(public_key)
        .map_err(|e| format!("cannot read the public key {}: {e}", public_key.display()))?;
    let pk = minisign::PublicKeyBox::from_string(&pk_text)
        .and_then(|b| b.into_public_key())
        .map_err(|e| format!("{} is not a minisign public key: {e}", public_key.display()))?;
    let mut checks = Vec::new();
    let signature = match minisign::SignatureBox::from_string(&sig_text) {
        Ok(s) => s,
        Err(e) => {
            checks.push(check(
                false,
                format!("signature {}: unreadable ({e})", sig_path.display()),
            ));
            return Ok(checks);
        }
    };
    let verified = minisign::verify(
        &pk,
        &signature,
        std::io::Cursor::new(&bytes),
        true,
        false,
        false,
    );
    checks.push(check(
        verified.is_ok(),
        match &verified {
            Ok(()) => format!("signature: valid, key {}", key_id(pk.keynum())),
            Err(e) => format!(
                "signature: {e} (the report or its signature was altered, or another key signed it)"
            ),
        },
    ));
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let is_jsonl = serde_json::from_slice::<serde_json::Value>(first_line)
        .is_ok_and(|v| v.get("seq").is_some() && v.get("prev").is_some());
    if is_jsonl {
        checks.push(match crate::output::jsonl::check_chain(&bytes) {
            Ok(n) => check(
                true,
                format!(
                    "line chain: {n} lines, each linked to the one before, ending in a checkpoint"
                ),
            ),
            Err(e) => check(false, format!("line chain: {e}")),
        });
    }
    if verified.is_ok() {
        let digest = hex(&Sha256::digest(&bytes));
        let trusted = signature.trusted_comment().unwrap_or_default();
        let bound = trusted.split(' ').any(|w| w == format!("sha256={digest}"));
        checks.push(check(bound, format!("trusted comment: {trusted}")));
    }
    if captures.is_empty() {
        return Ok(checks);
    }
    let recorded: Vec<(String, String)> = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["evidence"]["captures"].as_array().cloned())
        .map(|list| {
            list.iter()
                .filter_map(|c| Some((c["path"].as_str()?.to_string(), c["sha256"].as_str()?.to_string())))
                .collect()
        })
        .ok_or_else(|| format!("{} is not a JSON report with an evidence block: capture files can only be checked against one", report.display()))?;
    for capture in captures {
        let data = std::fs::read(capture)
            .map_err(|e| format!("cannot read {}: {e}", capture.display()))?;
        let digest = hex(&Sha256::digest(&data));
        let name = capture
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = recorded.iter().find(|(path, _)| {
            Path::new(path).file_name().map(|n| n.to_string_lossy()) == Some(name.as_str().into())
        });
        checks.push(match entry {
            Some((_, sha)) if *sha == digest => check(
                true,
                format!("capture {}: sha256 {digest} as recorded", capture.display()),
            ),
            Some((_, sha)) => check(
                false,
                format!(
                    "capture {}: sha256 {digest}, the report recorded {sha} (the file changed)",
                    capture.display()
                ),
            ),
            None => check(
                false,
                format!(
                    "capture {}: not among the report's captures",
                    capture.display()
                ),
            ),
        });
    }
    Ok(checks)
}
