//! SHA-256 of each capture file, computed on the bytes as they are read
//! (no second pass over a large file), for the report's evidence block.
//! When reading stopped before the end (a corrupt or truncated file), the
//! rest is hashed from the file so the digest is always the whole file's,
//! the value `sha256sum` prints. Standard input is hashed as far as read.
//! Must never read a file twice on the packet path: the rest is hashed
//! only when reading stopped early.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::sync::{Arc, Mutex};

/// A capture file's digest: what the evidence block records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub path: String,
    pub bytes: u64,
    /// Lowercase hex.
    pub sha256: String,
}

#[derive(Default)]
struct State {
    hasher: Sha256,
    bytes: u64,
    at_end: bool,
}

/// The running digest of one input, shared between its reader and whoever
/// asks for the result.
#[derive(Clone, Default)]
pub struct DigestHandle(Arc<Mutex<State>>);

/// Reads through to `inner`, hashing every byte.
pub struct HashingReader<R> {
    inner: R,
    state: DigestHandle,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> (HashingReader<R>, DigestHandle) {
        let state = DigestHandle::default();
        (
            HashingReader {
                inner,
                state: state.clone(),
            },
            state,
        )
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut s) = self.state.0.lock() {
            s.hasher.update(&buf[..n]);
            s.bytes += n as u64;
            s.at_end |= n == 0 && !buf.is_empty();
        }
        Ok(n)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl DigestHandle {
    /// The digest of the whole file at `path` (of what was read, for "-").
    pub fn finish(&self, path: &str) -> FileDigest {
        let Ok(state) = self.0.lock() else {
            return FileDigest {
                path: path.to_string(),
                bytes: 0,
                sha256: String::new(),
            };
        };
        let mut hasher = state.hasher.clone();
        let mut bytes = state.bytes;
        if !state.at_end && path != "-" {
            // Reading stopped early: hash the rest from the file itself.
            if let Ok(mut file) = std::fs::File::open(path) {
                use std::io::{Seek, SeekFrom};
                if file.seek(SeekFrom::Start(bytes)).is_ok() {
                    let mut buf = vec![0u8; 1 << 16];
                    while let Ok(n) = file.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        hasher.update(&buf[..n]);
                        bytes += n as u64;
                    }
                }
            }
        }
        FileDigest {
            path: path.to_string(),
            bytes,
            sha256: hex(&hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_the_whole_files_even_when_reading_stopped_early() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello world").unwrap();
        let expected = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
        let (mut r, handle) = HashingReader::new(std::fs::File::open(&path).unwrap());
        let mut first = [0u8; 5];
        r.read_exact(&mut first).unwrap();
        let d = handle.finish(path.to_str().unwrap());
        assert_eq!((d.bytes, d.sha256.as_str()), (11, expected));
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert_eq!(handle.finish(path.to_str().unwrap()).sha256, expected);
    }
}
