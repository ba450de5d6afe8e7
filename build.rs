//! Build metadata for `teleprobe --version`: the git revision the binary
//! was built from, when the source is a git checkout ("unknown" otherwise,
//! e.g. from a source package). Never fails the build.

fn main() {
    let revision = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=TELEPROBE_GIT_REVISION={revision}");
    // A new commit changes HEAD (or the branch it points at).
    for path in [".git/HEAD", ".git/refs/heads"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
