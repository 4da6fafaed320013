//! Image definitions (`images/*.json`): what goes into an image and how it runs, and their
//! assembly into layers from the build host's files.
//!
//! The builtin definition is `images/supervisor.json`, compiled in ([`SUPERVISOR`]) so the
//! binary can build its image anywhere; `wave image build --definition FILE` reads another.
//! Two layers come out: the filesystem (directories, `/etc/passwd`, `/etc/group`, host files
//! such as the CA bundle, and the static toolset) and, on top, the `wave` binary with its alias
//! links — so a new binary changes only the top layer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{Healthcheck, RuntimeConfig};
use crate::layer::{FileSource, LayerBuilder, Owner};
use crate::Error;

/// The builtin supervisor definition (`images/supervisor.json`).
pub const SUPERVISOR: &str = include_str!("../../../images/supervisor.json");

/// An image definition file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Definition {
    /// Image name (the default tag is `<name>:<wave version>`).
    pub name: String,
    /// `org.opencontainers.image.title`.
    pub title: String,
    /// `org.opencontainers.image.description`.
    #[serde(default)]
    pub description: Option<String>,
    /// The non-root user the image runs as.
    pub user: User,
    /// Working directory.
    pub working_dir: String,
    /// `NAME=value` environment.
    pub env: Vec<String>,
    /// Entrypoint argv.
    pub entrypoint: Vec<String>,
    /// Default command.
    pub cmd: Vec<String>,
    /// Declared volumes.
    #[serde(default)]
    pub volumes: Vec<String>,
    /// Healthcheck.
    #[serde(default)]
    pub healthcheck: Option<HealthcheckDef>,
    /// Where the `wave` binary goes.
    pub wave: WaveDef,
    /// Directories to create.
    #[serde(default)]
    pub directories: Vec<DirDef>,
    /// Files copied from the build host.
    #[serde(default)]
    pub host_files: Vec<HostFileDef>,
    /// The static tools agent scripts need (left out with `--no-toolset`).
    #[serde(default)]
    pub toolset: Option<Toolset>,
}

/// The image's user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Group id (the group has the user's name).
    pub gid: u32,
    /// Home directory.
    pub home: String,
    /// Login shell.
    pub shell: String,
}

/// Healthcheck, in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthcheckDef {
    /// `["CMD", …]`.
    pub test: Vec<String>,
    /// Interval.
    pub interval_seconds: u64,
    /// Timeout.
    pub timeout_seconds: u64,
    /// Start period.
    #[serde(default)]
    pub start_period_seconds: u64,
    /// Retries.
    pub retries: u64,
}

/// The `wave` binary's place.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaveDef {
    /// Image path of the binary.
    pub path: String,
    /// Other names, as symlinks to the binary in the same directory.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirDef {
    /// Image path.
    pub path: String,
    /// Octal mode, e.g. `"1777"`.
    pub mode: String,
    /// `"user"` for the image user; root otherwise.
    #[serde(default)]
    pub owner: Option<String>,
}

/// A file copied from the build host.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostFileDef {
    /// Host path.
    pub from: PathBuf,
    /// Image path.
    pub path: String,
    /// Octal mode.
    pub mode: String,
    /// Skip silently when the host lacks the file.
    #[serde(default)]
    pub optional: bool,
}

/// The static toolset.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toolset {
    /// Static bash.
    pub bash: Tool,
    /// Static busybox and the applets linked to it.
    pub busybox: Busybox,
}

/// A static tool copied from the build host.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tool {
    /// Host path.
    pub from: PathBuf,
    /// The Debian package that provides it (named in the error when missing).
    pub package: String,
    /// Image path.
    pub path: String,
}

/// Busybox and its applets.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Busybox {
    /// Host path.
    pub from: PathBuf,
    /// Debian package.
    pub package: String,
    /// Image path.
    pub path: String,
    /// The applets installed as symlinks beside the binary.
    pub applets: Vec<Applet>,
}

/// One busybox applet.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Applet {
    /// Applet name (the link's file name).
    pub name: String,
    /// Why the image carries it.
    pub why: String,
    /// Further absolute paths linked to busybox under this name (`/usr/bin/env`).
    #[serde(default)]
    pub also_at: Vec<String>,
}

/// What a build takes from the host besides the definition.
#[derive(Debug, Clone)]
pub struct HostInputs {
    /// The static `wave` binary.
    pub wave_binary: PathBuf,
    /// Leave the toolset out (a binary-only image).
    pub no_toolset: bool,
}

impl Definition {
    /// Parses and checks a definition; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Definition, Error> {
        let def: Definition =
            serde_json::from_str(text).map_err(|e| Error::Definition(format!("{source}: {e}")))?;
        def.check()
            .map_err(|e| Error::Definition(format!("{source}: {e}")))?;
        Ok(def)
    }

    /// The builtin supervisor definition.
    pub fn supervisor() -> Definition {
        Definition::parse(SUPERVISOR, "images/supervisor.json")
            .expect("the builtin definition is valid")
    }

    fn check(&self) -> Result<(), String> {
        if self.name.is_empty() {
            return Err("name: expected a non-empty image name".into());
        }
        for (field, p) in [
            ("workingDir", &self.working_dir),
            ("wave.path", &self.wave.path),
            ("user.home", &self.user.home),
        ] {
            if !p.starts_with('/') {
                return Err(format!("{field}: expected an absolute path, got {p:?}"));
            }
        }
        for e in &self.env {
            if !e.contains('=') || e.starts_with('=') {
                return Err(format!("env: expected NAME=value, got {e:?}"));
            }
        }
        if self.entrypoint.is_empty() {
            return Err("entrypoint: expected at least the program".into());
        }
        for d in &self.directories {
            parse_mode(&d.mode).map_err(|e| format!("directories[{}].mode: {e}", d.path))?;
            match d.owner.as_deref() {
                None | Some("root") | Some("user") => {}
                Some(other) => {
                    return Err(format!(
                        "directories[{}].owner: expected \"user\" or \"root\", got {other:?}",
                        d.path
                    ))
                }
            }
        }
        for f in &self.host_files {
            parse_mode(&f.mode).map_err(|e| format!("hostFiles[{}].mode: {e}", f.path))?;
        }
        if let Some(h) = &self.healthcheck {
            if h.test.first().map(String::as_str) != Some("CMD") || h.test.len() < 2 {
                return Err("healthcheck.test: expected [\"CMD\", program, args…]".into());
            }
        }
        Ok(())
    }

    fn owner(&self) -> Owner {
        Owner {
            uid: self.user.uid,
            gid: self.user.gid,
            uname: self.user.name.clone(),
            gname: self.user.name.clone(),
        }
    }

    /// The runtime config: user, env, entrypoint, volumes, labels (title, description,
    /// version, source, licenses, created) and healthcheck.
    pub fn runtime_config(&self, version: &str, source: &str, created: &str) -> RuntimeConfig {
        let mut labels = BTreeMap::new();
        let oci = |k: &str| format!("org.opencontainers.image.{k}");
        labels.insert(oci("title"), self.title.clone());
        if let Some(d) = &self.description {
            labels.insert(oci("description"), d.clone());
        }
        labels.insert(oci("version"), version.to_string());
        labels.insert(oci("source"), source.to_string());
        labels.insert(oci("licenses"), "MIT".to_string());
        labels.insert(oci("created"), created.to_string());
        RuntimeConfig {
            user: format!("{}:{}", self.user.uid, self.user.gid),
            env: self.env.clone(),
            working_dir: self.working_dir.clone(),
            entrypoint: self.entrypoint.clone(),
            cmd: self.cmd.clone(),
            volumes: self.volumes.clone(),
            labels,
            healthcheck: self.healthcheck.as_ref().map(|h| Healthcheck {
                test: h.test.clone(),
                interval_seconds: h.interval_seconds,
                timeout_seconds: h.timeout_seconds,
                start_period_seconds: h.start_period_seconds,
                retries: h.retries,
            }),
        }
    }

    /// The two layers (filesystem, then the binary), each with its history line.
    ///
    /// A missing toolset binary is one error naming the Debian package (or `--no-toolset`).
    pub fn layers(&self, host: &HostInputs) -> Result<Vec<(LayerBuilder, String)>, Error> {
        let root = Owner::root();
        let user = self.owner();
        let mut fs = LayerBuilder::new();
        for d in &self.directories {
            let owner = if d.owner.as_deref() == Some("user") {
                &user
            } else {
                &root
            };
            fs.dir(
                &d.path,
                parse_mode(&d.mode).map_err(Error::Definition)?,
                owner,
            )?;
        }
        fs.file(
            "/etc/passwd",
            FileSource::Bytes(self.passwd(host.no_toolset).into_bytes()),
            0o644,
            &root,
        )?;
        fs.file(
            "/etc/group",
            FileSource::Bytes(self.group().into_bytes()),
            0o644,
            &root,
        )?;
        for f in &self.host_files {
            if f.from.is_file() {
                let mode = parse_mode(&f.mode).map_err(Error::Definition)?;
                fs.file(&f.path, FileSource::Host(f.from.clone()), mode, &root)?;
            } else if !f.optional {
                return Err(Error::Toolset(format!(
                    "{}: missing on the build host",
                    f.from.display()
                )));
            }
        }
        let mut what = String::from("filesystem: directories, /etc/passwd, /etc/group");
        if let Some(t) = self.toolset.as_ref().filter(|_| !host.no_toolset) {
            require_tool(&t.bash.from, &t.bash.package)?;
            require_tool(&t.busybox.from, &t.busybox.package)?;
            fs.file(
                &t.bash.path,
                FileSource::Host(t.bash.from.clone()),
                0o755,
                &root,
            )?;
            fs.file(
                &t.busybox.path,
                FileSource::Host(t.busybox.from.clone()),
                0o755,
                &root,
            )?;
            let (dir, file) = split_dir(&t.busybox.path);
            for a in &t.busybox.applets {
                if a.name.is_empty() || a.name.contains('/') {
                    return Err(Error::Definition(format!(
                        "toolset.busybox.applets: bad name {:?}",
                        a.name
                    )));
                }
                fs.symlink(&format!("{dir}/{}", a.name), file)?;
                for extra in &a.also_at {
                    fs.symlink(extra, &t.busybox.path)?;
                }
            }
            let names: Vec<&str> = t.busybox.applets.iter().map(|a| a.name.as_str()).collect();
            what = format!("{what}; toolset: bash, busybox ({})", names.join(" "));
        }
        let mut bin = LayerBuilder::new();
        bin.file(
            &self.wave.path,
            FileSource::Host(host.wave_binary.clone()),
            0o755,
            &root,
        )?;
        let (_, wave_name) = split_dir(&self.wave.path);
        for alias in &self.wave.aliases {
            fs_alias(&mut bin, alias, &self.wave.path, wave_name)?;
        }
        Ok(vec![
            (fs, what),
            (bin, format!("wave binary: {}", self.wave.path)),
        ])
    }

    fn passwd(&self, no_toolset: bool) -> String {
        let u = &self.user;
        let shell = if no_toolset {
            "/sbin/nologin"
        } else {
            u.shell.as_str()
        };
        format!(
            "root:x:0:0:root:/root:{shell}\n{}:x:{}:{}:{}:{}:{shell}\n",
            u.name, u.uid, u.gid, u.name, u.home
        )
    }

    fn group(&self) -> String {
        format!("root:x:0:\n{}:x:{}:\n", self.user.name, self.user.gid)
    }
}

fn fs_alias(
    layer: &mut LayerBuilder,
    alias: &str,
    wave_path: &str,
    wave_name: &str,
) -> Result<(), Error> {
    // Same directory: a relative link, so the image can be copied elsewhere under a prefix.
    let target = if split_dir(alias).0 == split_dir(wave_path).0 {
        wave_name
    } else {
        wave_path
    };
    layer.symlink(alias, target)
}

fn split_dir(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

fn require_tool(path: &Path, package: &str) -> Result<(), Error> {
    if path.is_file() {
        Ok(())
    } else {
        Err(Error::Toolset(format!(
            "{} is missing on the build host: install the Debian package {package} (apt-get install {package}), or pass --no-toolset for a binary-only image",
            path.display()
        )))
    }
}

/// Parses an octal mode string (`"0755"`, `"1777"`).
pub fn parse_mode(text: &str) -> Result<u32, String> {
    match u32::from_str_radix(text, 8) {
        Ok(m) if m <= 0o7777 && !text.is_empty() => Ok(m),
        _ => Err(format!(
            "expected an octal mode like \"0755\", got {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_definition_parses_and_names_its_applets() {
        let def = Definition::supervisor();
        assert_eq!(def.user.uid, 65532);
        let applets: Vec<&str> = def
            .toolset
            .as_ref()
            .unwrap()
            .busybox
            .applets
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        for needed in ["cat", "tee", "wc", "tail", "grep", "sleep", "sh", "env"] {
            assert!(applets.contains(&needed), "{needed} missing");
        }
    }

    #[test]
    fn bad_definitions_name_the_field() {
        let mut v: serde_json::Value = serde_json::from_str(SUPERVISOR).unwrap();
        v["directories"][0]["mode"] = "rwx".into();
        let err = Definition::parse(&v.to_string(), "x.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.json") && err.contains("mode"), "{err}");
        let err = Definition::parse("{\"name\": 1}", "y.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("y.json: "), "{err}");
    }

    #[test]
    fn missing_toolset_names_the_package() {
        let mut def = Definition::supervisor();
        def.toolset.as_mut().unwrap().bash.from = "/nonexistent/bash-static".into();
        let host = HostInputs {
            wave_binary: "/proc/self/exe".into(),
            no_toolset: false,
        };
        let err = def.layers(&host).unwrap_err().to_string();
        assert!(
            err.contains("bash-static") && err.contains("--no-toolset"),
            "{err}"
        );
        let host = HostInputs {
            no_toolset: true,
            ..host
        };
        let layers = def.layers(&host).unwrap();
        assert!(!layers[0].0.paths().any(|p| p.starts_with("/bin/")));
    }
}
