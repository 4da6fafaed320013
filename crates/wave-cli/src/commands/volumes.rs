//! `wave prepare-volumes --owner UID:GID DIR…`: the one-shot init step of compose.yaml. It
//! gives the named state volumes to the user the supervisor runs as (the host user from
//! `.env`), so a supervisor that is not uid 65532 can write them. It is the only step that
//! needs a capability (`CAP_CHOWN`, plus `CAP_DAC_READ_SEARCH` to walk a volume another uid
//! filled, and `CAP_DAC_OVERRIDE` to leave the marker file that stops Docker from copying the
//! image's directory owner onto the empty volume again); the supervisor itself runs with none.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::{bail, Context};

use crate::cli::PrepareVolumesArgs;
use crate::exit::Code;

/// Runs `wave prepare-volumes`.
pub fn run(args: &PrepareVolumesArgs) -> anyhow::Result<Code> {
    let (uid, gid) = parse_owner(&args.owner)?;
    let mut changed = 0usize;
    for dir in &args.dirs {
        if !dir.is_dir() {
            bail!("{}: expected a directory (a mounted volume)", dir.display());
        }
        // Docker copies an image directory's content and owner onto an *empty* named volume
        // each time one is mounted: a marker keeps the volume non-empty, so the owner given
        // here stays.
        let marker = dir.join(".wave-volume");
        std::fs::write(&marker, format!("{uid}:{gid}\n"))
            .with_context(|| format!("write {}", marker.display()))?;
        changed += chown_tree(dir, uid, gid)?;
    }
    println!(
        "prepared {} volume(s) for {uid}:{gid} ({changed} entries changed)",
        args.dirs.len()
    );
    Ok(Code::Ok)
}

fn parse_owner(raw: &str) -> anyhow::Result<(u32, u32)> {
    let parse = |s: &str| s.trim().parse::<u32>().ok();
    match raw.split_once(':') {
        Some((u, g)) => match (parse(u), parse(g)) {
            (Some(u), Some(g)) => Ok((u, g)),
            _ => bail!("--owner: expected numeric UID:GID such as 1000:1000, got {raw:?}"),
        },
        None => bail!("--owner: expected numeric UID:GID such as 1000:1000, got {raw:?}"),
    }
}

/// Gives `path` and everything below it (not following symlinks) to `uid:gid`; returns how
/// many entries changed owner.
fn chown_tree(path: &Path, uid: u32, gid: u32) -> anyhow::Result<usize> {
    let meta =
        std::fs::symlink_metadata(path).with_context(|| format!("inspect {}", path.display()))?;
    let mut changed = 0;
    if meta.uid() != uid || meta.gid() != gid {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid)).with_context(|| {
            format!("chown {} to {uid}:{gid} (needs CAP_CHOWN)", path.display())
        })?;
        changed += 1;
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).with_context(|| format!("list {}", path.display()))? {
            changed += chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_must_be_numeric_pairs() {
        assert_eq!(parse_owner("1000:1001").unwrap(), (1000, 1001));
        for bad in ["1000", "me:me", "1:x", ""] {
            assert!(
                parse_owner(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("--owner"),
                "{bad}"
            );
        }
    }
}
