//! Typed JSON reads that tell a missing file from a corrupt one (upstream's `readJsonOrNull`
//! folds both into `null`).

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Result, StoreError};

/// Reads and parses `path`: [`StoreError::Missing`] when it does not exist,
/// [`StoreError::Corrupt`] when it is not JSON of type `T` (including an empty or torn file),
/// [`StoreError::Io`] for any other failure.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == ErrorKind::NotFound => {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            })
        }
        Err(err) => return Err(StoreError::io("read", path, err)),
    };
    serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
        path: path.to_path_buf(),
        source,
    })
}

/// As [`read_json`], but a missing file is `Ok(None)`.
pub fn read_json_if_exists<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match read_json(path) {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::Missing { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Rec {
        n: u32,
    }

    #[test]
    fn distinguishes_missing_corrupt_and_wrong_shape() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");

        let err = read_json::<Rec>(&path).unwrap_err();
        assert!(err.is_missing());
        assert_eq!(
            err.to_string(),
            format!("cannot read {}: file does not exist", path.display())
        );
        assert_eq!(read_json_if_exists::<Rec>(&path).unwrap(), None);

        fs::write(&path, b"{\"n\": 1").unwrap();
        let err = read_json::<Rec>(&path).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err
            .to_string()
            .starts_with(&format!("cannot parse {}", path.display())));

        fs::write(&path, b"").unwrap();
        assert!(matches!(
            read_json::<Rec>(&path),
            Err(StoreError::Corrupt { .. })
        ));

        fs::write(&path, b"{\"n\": \"x\"}").unwrap();
        assert!(matches!(
            read_json_if_exists::<Rec>(&path),
            Err(StoreError::Corrupt { .. })
        ));

        fs::write(&path, b"{\"n\": 7}\n").unwrap();
        assert_eq!(read_json::<Rec>(&path).unwrap(), Rec { n: 7 });
    }

    #[test]
    fn directory_is_an_io_error() {
        let tmp = tempfile::tempdir().unwrap();
        let err = read_json::<Rec>(tmp.path()).unwrap_err();
        assert!(matches!(err, StoreError::Io { op: "read", .. }), "{err}");
    }
}
