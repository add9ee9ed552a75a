//! SHA-256 as the manifest, the stat cache and the shards spell it:
//! lowercase hex.

use std::path::Path;

use sha2::{Digest, Sha256};

/// SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// SHA-256 and size of a file, read in pieces (a large file costs this
/// process its buffer, not its size).
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((format!("{:x}", hasher.finalize()), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn bytes_hash_to_the_published_digest() {
        assert_eq!(sha256_hex(b"abc"), ABC);
    }

    #[test]
    fn a_file_hashes_as_its_bytes_with_its_size() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"abc").unwrap();
        assert_eq!(hash_file(file.path()).unwrap(), (ABC.to_string(), 3));
        assert!(hash_file(Path::new("/nonexistent/chamberstat")).is_err());
    }
}
