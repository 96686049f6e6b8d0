//! The config loader (`config::Config::from_toml`): TOML text to a validated config, every
//! section's checks included (sources, selectors, schedules, alerts, destinations, digests).
//!
//! The file is placed in a folder that does not exist, so relative paths it names (topic packs,
//! secret files) fail to read instead of reaching the fuzzing machine's files.
#![no_main]

use std::path::Path;

use briefwatch::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent/briefwatch-fuzz/briefwatch.toml");
    match Config::from_toml(text, path) {
        Ok(config) => {
            // A valid config names each source once.
            let mut names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
            let before = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(before, names.len(), "duplicate source names accepted");
        }
        Err(e) => {
            // Errors render (they are printed by check-config).
            let _ = e.to_string();
        }
    }
});
