//! The container image's runtime layout, checked without a Docker engine: the binary run the
//! way the Dockerfile's last stage runs it — as its user, in its working directory, with its
//! environment — creates its SQLite file in the data directory, serves, and passes the image's
//! own health check.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::running_as_root;

/// What the Dockerfile's runtime stage (after its last `FROM`) says.
#[derive(Debug, Default)]
struct Runtime {
    user: String,
    workdir: String,
    env: Vec<(String, String)>,
    healthcheck: Vec<String>,
}

fn runtime_stage() -> Runtime {
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile"))
        .expect("the Dockerfile");
    let stage = dockerfile.rsplit("\nFROM ").next().unwrap();
    let mut runtime = Runtime::default();
    for line in stage.lines() {
        let (instruction, rest) = line.split_once(' ').unwrap_or((line, ""));
        match instruction {
            "USER" => runtime.user = rest.trim().to_owned(),
            "WORKDIR" => runtime.workdir = rest.trim().to_owned(),
            "ENV" => {
                let (name, value) = rest.split_once('=').expect("ENV NAME=value");
                runtime.env.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            "HEALTHCHECK" => {
                let command = rest.split_once("CMD ").expect("HEALTHCHECK … CMD [..]").1;
                runtime.healthcheck = serde_json::from_str(command).expect("CMD in exec form");
            }
            _ => {}
        }
    }
    runtime
}

/// `program` as the image's user (when this test may switch users), in `dir`, with `env`.
fn as_image_user(user: &str, dir: &std::path::Path, env: &[(String, String)]) -> Command {
    let binary = env!("CARGO_BIN_EXE_jobcraft");
    let mut command = if running_as_root() {
        let mut command = Command::new("setpriv");
        command.args([&format!("--reuid={user}"), &format!("--regid={user}"), "--clear-groups"]);
        command.arg(binary);
        command
    } else {
        Command::new(binary)
    };
    command.current_dir(dir).env_clear().envs(env.iter().map(|(k, v)| (k, v)));
    command
}

#[actix_web::test]
async fn the_image_runs_as_its_user_with_its_data_directory_and_passes_its_health_check() {
    let runtime = runtime_stage();
    assert_eq!(runtime.healthcheck.first().map(String::as_str), Some("jobcraft"));
    assert!(!runtime.user.is_empty() && runtime.user != "root" && runtime.user != "0");
    // The data directory, owned by the image's user as the Dockerfile's `chown` leaves it.
    let data = tempfile::tempdir().unwrap();
    if running_as_root() {
        let owned = Command::new("chown").arg(&runtime.user).arg(data.path()).status().unwrap();
        assert!(owned.success());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let workdir = data.path().to_str().unwrap();
    let env: Vec<(String, String)> = runtime
        .env
        .iter()
        .map(|(name, value)| {
            let value = match name.as_str() {
                // Every address, as in the image, on a port free here.
                "JOBCRAFT_BIND" => format!("0.0.0.0:{port}"),
                _ => value.replace(&runtime.workdir, workdir),
            };
            (name.clone(), value)
        })
        .chain([("JOBCRAFT_LOG".to_owned(), "warn".to_owned())])
        .collect();

    let mut server = as_image_user(&runtime.user, data.path(), &env)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut healthy = false;
    for _ in 0..100 {
        let check = as_image_user(&runtime.user, data.path(), &env)
            .args(&runtime.healthcheck[1..])
            .output()
            .unwrap();
        if check.status.success() {
            healthy = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().ok();
    let output = server.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(healthy, "the health check never passed: {printed}");
    assert!(printed.contains("First start"), "the first start's admin key is printed: {printed}");
    assert!(data.path().join("jobcraft.db").exists(), "the SQLite file is in the data directory");

    // With nothing listening, the health check fails.
    let check =
        as_image_user(&runtime.user, data.path(), &env).args(&runtime.healthcheck[1..]).output();
    assert!(!check.unwrap().status.success());
}
