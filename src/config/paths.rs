//! Where the config file is looked for when `--config` (or `$BRIEFWATCH_CONFIG`) names none, and
//! where the database goes when `[storage] path` is not set. Pure functions over a [`PathEnv`]
//! snapshot of the environment, so that every rule is tested without touching the process.
//!
//! Config file, first found wins:
//! 1. `config/briefwatch.toml` under the working directory (a checkout of the repository; the
//!    historical default),
//! 2. `briefwatch.toml` under the working directory,
//! 3. `$CONFIGURATION_DIRECTORY/briefwatch.toml` (systemd's `ConfigurationDirectory=briefwatch`,
//!    i.e. `/etc/briefwatch`),
//! 4. `$XDG_CONFIG_HOME/briefwatch/briefwatch.toml` (`~/.config/briefwatch/briefwatch.toml`),
//! 5. `/etc/briefwatch/briefwatch.toml`.
//!
//! Database when `[storage] path` is not set: `$STATE_DIRECTORY/briefwatch.db` under systemd
//! (`StateDirectory=briefwatch`, i.e. `/var/lib/briefwatch`); `$XDG_DATA_HOME/briefwatch/
//! briefwatch.db` (`~/.local/share/...`) for a config in the user's config folder; otherwise
//! `data/briefwatch.db` beside the config file, as before. A relative `[storage] path` always
//! resolves against the config file's folder.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::DEFAULT_CONFIG_PATH;

/// The config file's name in the system and user config folders.
pub const CONFIG_FILE_NAME: &str = "briefwatch.toml";
/// The system-wide config file (the systemd unit's `--config`).
pub const SYSTEM_CONFIG: &str = "/etc/briefwatch/briefwatch.toml";
/// The database's file name in a data or state folder.
pub const DB_FILE_NAME: &str = "briefwatch.db";

/// The environment variables the lookup reads (empty values count as unset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathEnv {
    /// The working directory.
    pub cwd: PathBuf,
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
    /// `$XDG_DATA_HOME`.
    pub xdg_data_home: Option<PathBuf>,
    /// `$CONFIGURATION_DIRECTORY` (systemd; the first of a colon-separated list).
    pub configuration_directory: Option<PathBuf>,
    /// `$STATE_DIRECTORY` (systemd; the first of a colon-separated list).
    pub state_directory: Option<PathBuf>,
}

impl PathEnv {
    /// A snapshot of this process's environment.
    pub fn from_process() -> PathEnv {
        let var = |name: &str| std::env::var_os(name);
        PathEnv {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            home: absolute(var("HOME")),
            xdg_config_home: absolute(var("XDG_CONFIG_HOME")),
            xdg_data_home: absolute(var("XDG_DATA_HOME")),
            configuration_directory: first_of_list(var("CONFIGURATION_DIRECTORY")),
            state_directory: first_of_list(var("STATE_DIRECTORY")),
        }
    }

    /// The user's config folder for briefwatch: `$XDG_CONFIG_HOME/briefwatch` or
    /// `~/.config/briefwatch`.
    pub fn user_config_dir(&self) -> Option<PathBuf> {
        let base = self
            .xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")))?;
        Some(base.join("briefwatch"))
    }

    /// The user's data folder for briefwatch: `$XDG_DATA_HOME/briefwatch` or
    /// `~/.local/share/briefwatch`.
    pub fn user_data_dir(&self) -> Option<PathBuf> {
        let base = self
            .xdg_data_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".local/share")))?;
        Some(base.join("briefwatch"))
    }
}

/// The XDG spec ignores relative values; so do we (and empty ones).
fn absolute(v: Option<OsString>) -> Option<PathBuf> {
    v.map(PathBuf::from).filter(|p| p.is_absolute())
}

/// systemd passes several folders separated by colons when several are configured.
fn first_of_list(v: Option<OsString>) -> Option<PathBuf> {
    let v = v?;
    let first = v.to_str().map_or(v.clone(), |s| {
        OsString::from(s.split(':').next().unwrap_or_default())
    });
    absolute(Some(first))
}

/// No config file where one was looked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no config file found; looked for {} (name one with --config FILE or $BRIEFWATCH_CONFIG; \
     `briefwatch demo` runs without one)",
    list(.tried)
)]
pub struct ConfigNotFound {
    /// Every path tried, in order.
    pub tried: Vec<PathBuf>,
}

fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// The paths tried, in order, when no config file is named.
pub fn config_candidates(env: &PathEnv) -> Vec<PathBuf> {
    let mut out = vec![
        env.cwd.join(DEFAULT_CONFIG_PATH),
        env.cwd.join(CONFIG_FILE_NAME),
    ];
    if let Some(d) = &env.configuration_directory {
        out.push(d.join(CONFIG_FILE_NAME));
    }
    if let Some(d) = env.user_config_dir() {
        out.push(d.join(CONFIG_FILE_NAME));
    }
    out.push(PathBuf::from(SYSTEM_CONFIG));
    out.dedup();
    out
}

/// The first candidate for which `exists` holds.
pub fn find_config(
    env: &PathEnv,
    exists: impl Fn(&Path) -> bool,
) -> Result<PathBuf, ConfigNotFound> {
    let tried = config_candidates(env);
    match tried.iter().find(|p| exists(p)) {
        Some(p) => Ok(p.clone()),
        None => Err(ConfigNotFound { tried }),
    }
}

/// The database when `[storage] path` is not set, for the config file `config_file`; `None`: the
/// historical `data/briefwatch.db` beside the config file.
pub fn default_db_path(config_file: &Path, env: &PathEnv) -> Option<PathBuf> {
    if let Some(state) = &env.state_directory {
        return Some(state.join(DB_FILE_NAME));
    }
    let user_config = env.user_config_dir()?;
    let file = if config_file.is_absolute() {
        config_file.to_path_buf()
    } else {
        env.cwd.join(config_file)
    };
    if file.parent() == Some(user_config.as_path()) {
        return env.user_data_dir().map(|d| d.join(DB_FILE_NAME));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_env() -> PathEnv {
        PathEnv {
            cwd: PathBuf::from("/home/ana/src"),
            home: Some(PathBuf::from("/home/ana")),
            ..PathEnv::default()
        }
    }

    fn systemd_env() -> PathEnv {
        PathEnv {
            cwd: PathBuf::from("/"),
            configuration_directory: Some(PathBuf::from("/etc/briefwatch")),
            state_directory: Some(PathBuf::from("/var/lib/briefwatch")),
            ..PathEnv::default()
        }
    }

    #[test]
    fn a_checkout_keeps_using_config_briefwatch_toml() {
        let env = user_env();
        let found = find_config(&env, |_| true).unwrap();
        assert_eq!(found, PathBuf::from("/home/ana/src/config/briefwatch.toml"));
        assert_eq!(
            default_db_path(&found, &env),
            None,
            "data/ beside it, as before"
        );
    }

    #[test]
    fn outside_a_checkout_the_user_config_and_data_folders_are_used() {
        let env = user_env();
        let user = PathBuf::from("/home/ana/.config/briefwatch/briefwatch.toml");
        assert_eq!(find_config(&env, |p| p == user).unwrap(), user);
        assert_eq!(
            default_db_path(&user, &env),
            Some(PathBuf::from(
                "/home/ana/.local/share/briefwatch/briefwatch.db"
            ))
        );
        let xdg = PathEnv {
            xdg_config_home: Some(PathBuf::from("/cfg")),
            xdg_data_home: Some(PathBuf::from("/data")),
            ..user_env()
        };
        let file = PathBuf::from("/cfg/briefwatch/briefwatch.toml");
        assert_eq!(find_config(&xdg, |p| p == file).unwrap(), file);
        assert_eq!(
            default_db_path(&file, &xdg),
            Some(PathBuf::from("/data/briefwatch/briefwatch.db"))
        );
    }

    #[test]
    fn under_systemd_etc_and_the_state_directory_are_used() {
        let env = systemd_env();
        let found = find_config(&env, |p| p.starts_with("/etc")).unwrap();
        assert_eq!(found, PathBuf::from("/etc/briefwatch/briefwatch.toml"));
        assert_eq!(
            default_db_path(&found, &env),
            Some(PathBuf::from("/var/lib/briefwatch/briefwatch.db"))
        );
    }

    #[test]
    fn a_missing_config_names_every_path_tried() {
        let e = find_config(&user_env(), |_| false).unwrap_err();
        assert_eq!(
            e.tried,
            [
                "/home/ana/src/config/briefwatch.toml",
                "/home/ana/src/briefwatch.toml",
                "/home/ana/.config/briefwatch/briefwatch.toml",
                "/etc/briefwatch/briefwatch.toml",
            ]
            .map(PathBuf::from)
        );
        let text = e.to_string();
        assert!(
            text.contains("/home/ana/.config/briefwatch/briefwatch.toml"),
            "{text}"
        );
        assert!(text.contains("--config"), "{text}");
    }

    #[test]
    fn relative_and_empty_variables_are_ignored_and_lists_give_their_first_folder() {
        assert_eq!(absolute(Some("rel/dir".into())), None);
        assert_eq!(absolute(Some("".into())), None);
        assert_eq!(
            first_of_list(Some("/var/lib/a:/var/lib/b".into())),
            Some(PathBuf::from("/var/lib/a"))
        );
    }
}
