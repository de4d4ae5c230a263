"""`hotline check-security` and the refusal to start: run as the operator would, in a process
whose environment holds the settings (they are read at start-up)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECURITY_DOC = ROOT / "docs" / "security.md"
STRONG_KEY = "k" + "9f3Qx7Lm2Vb8Rt5Wy1Zc4Nd6Hp0Jg-Ks_Ue" * 2
DATA_KEY = "prod1:" + "3c" * 32


def documented_production_env(tmp_path) -> dict[str, str]:
    """The ```env block of docs/security.md, with a real random key in place of the hint and
    the data key file (mode 600, as documented) in a temporary folder."""
    block = re.search(r"```env\n(.*?)```", SECURITY_DOC.read_text(), re.S)
    env = dict(line.split("=", 1) for line in block[1].strip().splitlines())
    env["HOTLINE_SECRET_KEY"] = STRONG_KEY
    key_file = tmp_path / Path(env["HOTLINE_DATA_KEY_FILE"]).name
    key_file.write_text(DATA_KEY + "\n")
    key_file.chmod(0o600)
    env["HOTLINE_DATA_KEY_FILE"] = str(key_file)
    return env


def run_hotline(args: list[str], env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HOTLINE_") or k == "HOTLINE_DATA_DIR"
    }
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser fixtures, never in production
    full = {**base, "HOTLINE_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_security_passes_on_the_documented_production_settings(tmp_path):
    # given the settings docs/security.md tells an operator to set
    env = documented_production_env(tmp_path)
    # when the operator runs the check
    done = run_hotline(["check-security"], env, tmp_path)
    # then every setting passes and the command says so
    assert done.returncode == 0, done.stdout + done.stderr
    assert "不合格" not in done.stdout
    assert "全部 19 项安全设置合格" in done.stdout
    assert STRONG_KEY not in done.stdout  # the secret itself is never printed


def test_check_security_fails_on_the_defaults_and_names_each_weak_setting(tmp_path):
    # given no HOTLINE_* setting at all
    # when the check runs
    done = run_hotline(["check-security"], {}, tmp_path)
    # then it fails, naming the weak ones and how to fix them
    assert done.returncode == 1
    weak = set(re.findall(r"^\[不合格\] (\S+)", done.stdout, re.M))
    assert weak == {"SECRET_KEY", "DATA_KEY", "SECURE_SSL_REDIRECT"}
    assert "HOTLINE_SECRET_KEY" in done.stdout
    assert "3 项安全设置不合格" in done.stderr


@pytest.mark.parametrize(
    ("override", "weak"),
    [
        (
            {
                "HOTLINE_DEBUG": "true",
                "HOTLINE_ALLOWED_HOSTS": "*",
                "HOTLINE_SECURE_COOKIES": "false",
                "HOTLINE_HSTS_SECONDS": "3600",
                "HOTLINE_REFERRER_POLICY": "unsafe-url",
            },
            {
                "DEBUG",
                "ALLOWED_HOSTS",
                "SESSION_COOKIE_SECURE",
                "CSRF_COOKIE_SECURE",
                "SECURE_HSTS_SECONDS",
                "SECURE_REFERRER_POLICY",
            },
        ),
        (
            {
                "HOTLINE_API_RATE_PER_TOKEN": "off",
                "HOTLINE_API_RATE_PER_ADDRESS": "many",
                "HOTLINE_SESSION_IDLE_MINUTES": "120",
                "HOTLINE_API_TOKEN_MAX_DAYS": "3650",
            },
            {
                "API_RATE_PER_TOKEN",
                "API_RATE_PER_ADDRESS",
                "SESSION_IDLE_MINUTES",
                "API_TOKEN_MAX_DAYS",
            },
        ),
    ],
    ids=["transport-and-hosts", "limits-and-lifetimes"],
)
def test_check_security_fails_on_each_weakened_setting(tmp_path, override, weak):
    # given the documented production settings with some weakened
    env = {**documented_production_env(tmp_path), **override}
    # when the check runs
    done = run_hotline(["check-security"], env, tmp_path)
    # then exactly those settings are reported
    assert done.returncode == 1
    assert set(re.findall(r"^\[不合格\] (\S+)", done.stdout, re.M)) == weak


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"HOTLINE_SECRET_KEY": ""}, "开发用或过弱的密钥"),
        ({"HOTLINE_ALLOWED_HOSTS": ""}, "允许的主机名：（空）"),
        ({"HOTLINE_DATA_KEY_FILE": ""}, "诉求人个人信息加密密钥（SM4）：开发用密钥"),
        ({"HOTLINE_DATA_KEY_FILE": "/nonexistent/data.key"}, "无法读取数据密钥文件"),
        ({"HOTLINE_DATA_KEY": "prod1:abc"}, "data key entry 1 must be <id>:<64 hex digits>"),
    ],
    ids=["development-key", "no-allowed-host", "no-data-key", "missing-key-file", "bad-data-key"],
)
def test_serve_refuses_to_start_in_production_mode(tmp_path, override, reason):
    # given DEBUG off and a development key (an empty variable means unset), no host, or no
    # usable data key
    env = {**documented_production_env(tmp_path), **override}
    for name in ("HOTLINE_SECRET_KEY", "HOTLINE_DATA_KEY_FILE"):
        if not env[name]:
            del env[name]
    # when the operator starts the server
    done = run_hotline(["serve", "--port", "1"], env, tmp_path)
    # then it refuses before binding anything, saying why
    assert done.returncode == 1
    assert "拒绝启动" in done.stderr
    assert reason in done.stderr


def test_deploy_check_errors_on_the_development_key(tmp_path):
    # given DEBUG off and no secret key
    # when Django's deployment checks run
    done = run_hotline(["check", "--deploy"], {}, tmp_path)
    # then our check is an error (not a warning) and the command fails
    assert done.returncode == 1
    assert "(hotline.SECRET_KEY)" in done.stderr
    assert done.stderr.index("ERRORS:") < done.stderr.index("(hotline.SECRET_KEY)")


def test_deploy_check_passes_with_the_documented_settings(tmp_path):
    done = run_hotline(
        ["check", "--deploy", "--fail-level", "ERROR"],
        documented_production_env(tmp_path),
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "hotline." not in done.stderr
