//! `seogo config --check` and `--reference` through the binary: a bad
//! value fails at load with its key named; the reference printed is the
//! checked-in docs/seogo.reference.toml.

use seogo_tests::{run, seogo, stderr, stdout, workspace_root};

#[test]
fn a_bad_configuration_fails_at_load_naming_each_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("seogo.toml");
    std::fs::write(
        &config,
        "[lexical.identifiers]\nrequired = [\"part_nmuber\"]\n\
         [server]\nmax_concurrent_generations = 0\n\
         [[sources]]\nname = \"manuals\"\npath = \"/srv/a\"\n\
         [[sources]]\nname = \"manuals\"\npath = \"/srv/b\"\n",
    )
    .expect("config");
    let data = dir.path().join("data");
    let out = run(seogo(&data)
        .arg("--config")
        .arg(&config)
        .args(["config", "--check"]));
    assert!(!out.status.success());
    let said = stderr(&out);
    for key in [
        "3 problems",
        "lexical.identifiers.required[0]: ",
        "part_nmuber",
        "server.max_concurrent_generations: 0 is below the minimum 1",
        "sources[1].name: `manuals` names two",
    ] {
        assert!(said.contains(key), "no {key:?} in {said}");
    }
    // Any command loads (and so checks) the configuration.
    let out = run(seogo(&data).arg("--config").arg(&config).arg("status"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("part_nmuber"), "{}", stderr(&out));

    std::fs::write(&config, "[retrieval]\ndense_weight = 0.2\n").expect("config");
    let out = run(seogo(&data)
        .arg("--config")
        .arg(&config)
        .args(["config", "--check"]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("the configuration is valid"));
}

#[test]
fn the_printed_reference_is_the_checked_in_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(seogo(&dir.path().join("data")).args(["config", "--reference"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let file = std::fs::read_to_string(workspace_root().join("docs/seogo.reference.toml"))
        .expect("docs/seogo.reference.toml");
    assert_eq!(stdout(&out), file);
}
