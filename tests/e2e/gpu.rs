//! The CPU and CUDA code paths agree: the embedder's vectors (cosine ≥
//! 0.999) and the generator's greedy text, on a tiny model with the same
//! random weights on both. It needs an NVIDIA GPU and a binary built with
//! `--features cuda` (scripts/build-cuda.sh; `SEOGO_BIN` names it), so it
//! is ignored elsewhere, with that reason printed; scripts/gpu-check.sh
//! runs the same check.

use seogo_tests::{run, seogo_bin, stderr, stdout};

#[test]
#[ignore = "needs an NVIDIA GPU and a --features cuda binary (SEOGO_BIN); scripts/gpu-check.sh runs the same check"]
fn the_cpu_and_cuda_agree_on_a_tiny_random_model() {
    let out = run(std::process::Command::new(seogo_bin()).args([
        "bench",
        "gpu",
        "--device",
        "cuda",
        "--compare",
        "--passages",
        "16",
        "--prompt-tokens",
        "64",
        "--max-tokens",
        "8",
        "--rounds",
        "1",
        "--json",
    ]));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&text).expect("a JSON report");
    let comparison = &report["comparison"];
    assert!(
        comparison["min_cosine"].as_f64().unwrap_or(0.0) >= 0.999,
        "{report}"
    );
    assert_eq!(comparison["same_greedy_text"], true, "{report}");
}

/// The same command on the CPU alone, with the tiny shapes: the
/// benchmark's whole path runs where there is no GPU, and `--compare` is refused
/// with the reason rather than comparing the CPU with itself.
#[test]
fn the_gpu_benchmark_runs_on_the_cpu_and_refuses_to_compare_it_with_itself() {
    let bench = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(seogo_bin());
        cmd.args([
            "bench",
            "gpu",
            "--device",
            "cpu",
            "--tiny",
            "--passages",
            "4",
            "--passage-tokens",
            "16",
            "--prompt-tokens",
            "16",
            "--max-tokens",
            "2",
            "--rounds",
            "1",
            "--json",
        ])
        .args(extra);
        run(&mut cmd)
    };
    let out = bench(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert!(
        report["embed"]["passages_per_s"].as_f64().unwrap_or(0.0) > 0.0,
        "{report}"
    );
    assert!(
        report["generate"]["prefill_tokens_per_s"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0,
        "{report}"
    );
    let refused = bench(&["--compare"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("needs a GPU device"),
        "{}",
        stderr(&refused)
    );
}
