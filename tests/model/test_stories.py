"""Every conversation path in tests/stories/ is predicted exactly by the trained policies."""

import os
import subprocess
import sys


def test_rasa_test_core_passes_every_story(root, model_path, tmp_path):
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "ACTION_SERVER_URL": "http://127.0.0.1:9/webhook",
        "BOT_DATABASE_URL": f"sqlite:///{tmp_path}/stories.db",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "test",
            "core",
            "--model",
            model_path,
            "--stories",
            "tests/stories",
            "--endpoints",
            "endpoints.yml",
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    failed_file = tmp_path / "failed_test_stories.yml"
    failed = failed_file.read_text() if failed_file.exists() else ""
    assert "story:" not in failed, failed
