//! Every worked case in ../shared/scoring-examples/: `pingxuan compute` prints exactly its
//! `.out.json` (compared as JSON), and every `refused-*.json` exits 2 with one line on
//! standard error and nothing on standard output. New files there are picked up.

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/scoring-examples");
    assert!(
        dir.is_dir(),
        "the worked examples are beside the repository: {}",
        dir.display()
    );
    dir
}

fn compute(file: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pingxuan"))
        .arg("compute")
        .arg(file)
        .output()
        .expect("pingxuan runs")
}

fn inputs(refused: bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".json")
                && !name.ends_with(".out.json")
                && name.starts_with("refused-") == refused
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_worked_example_recounts_to_its_expected_output() {
    let files = inputs(false);
    assert!(files.len() >= 8, "examples found: {files:?}");
    let mut failures = Vec::new();
    for input in files {
        let expected_path = input.with_extension("out.json");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let out = compute(&input);
        if !out.status.success() {
            failures.push(format!(
                "{}: exit {:?}: {}",
                input.display(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let actual: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("JSON on standard output");
        if actual != expected {
            failures.push(format!(
                "{}: output differs from {}",
                input.display(),
                expected_path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_refused_example_exits_2_with_one_line_on_standard_error() {
    let files = inputs(true);
    assert!(files.len() >= 7, "examples found: {files:?}");
    for input in files {
        let out = compute(&input);
        assert_eq!(out.status.code(), Some(2), "{}", input.display());
        assert!(
            out.stdout.is_empty(),
            "{}: nothing on standard output",
            input.display()
        );
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{}: {err:?}", input.display());
        assert!(err.trim().len() > 10, "{}: {err:?}", input.display());
    }
}

#[test]
fn standard_input_works_like_a_file() {
    use std::io::Write;
    let input = examples_dir().join("01-small.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pingxuan"))
        .args(["compute", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&input).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, compute(&input).stdout);
}

#[test]
fn malformed_input_exits_2_with_one_line() {
    let dir = std::env::temp_dir().join(format!("pingxuan-compute-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("empty", &b""[..]),
        ("garbage", b"\xff\xfe{"),
        ("truncated", b"{\"rules\": {"),
        ("array", b"[1,2]"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = compute(&path);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).lines().count(),
            1,
            "{name}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
