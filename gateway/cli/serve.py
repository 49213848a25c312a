"""gateway serve: run the web service under gunicorn with N worker processes.

Settings come from config/gateway.toml and GATEWAY_* variables (see that file);
the options here win over both. The default address is 127.0.0.1:8080, never
every interface: exposing the gateway is a decision made with --listen (or
GATEWAY_LISTEN), behind a TLS-terminating reverse proxy."""

from __future__ import annotations

import argparse
import gc
import socket
import subprocess
import sys

from gunicorn.app.base import BaseApplication

from gateway.config import ConfigError, Settings
from gateway.domain.errors import GatewayError
from gateway.wiring import open_database, runtime_from

SAMPLE = "examples/broken-pain.001.xml"


def add_parser(sub) -> None:
    parser = sub.add_parser("serve", help="run the web service (gunicorn)", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", metavar="HOST:PORT", help="address to bind (default from config: 127.0.0.1:8080)")
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default from config: 2)")
    parser.add_argument("--profile", choices=("development", "production"),
                        help="settings profile (default: GATEWAY_PROFILE, else the config file's, else development)")
    parser.add_argument("--config", metavar="FILE", help="TOML settings file (default: GATEWAY_CONFIG or config/gateway.toml)")
    parser.add_argument("--worker", action="store_true",
                        help="also run one `gateway worker` beside the web workers, stopped with them (what `make run` "
                             "does, so payments flow on the embedded default; production runs its workers itself)")
    parser.set_defaults(run=run)


def run(args) -> int:
    # Checked here, in the master, so a bad setting is one clear message and exit 2, not N worker crashes.
    settings = Settings.load(args.config, listen=args.listen, workers=args.workers, profile=args.profile)
    banks = runtime_from(settings).router.banks  # a bad bank or risk file: the same one message and exit 2
    ensure_free(*settings.host_port)
    prepare_database(settings)
    print("gateway: banks: " + (", ".join(f"{b.id} ({b.connector_type})" for b in banks) or "none enabled"),
          flush=True)
    worker = start_worker(args.config, settings.profile) if args.worker else None
    try:
        GatewayServer(settings).run()
    finally:
        if worker is not None:
            stop_worker(worker)
    return 0


def ensure_free(host: str, port: int) -> None:
    """Refuse at once an address another process holds (another ``gateway serve``?): gunicorn
    would retry for five seconds and end with its own log line, not saying what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: TIME_WAIT is no owner
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}): is another gateway serve "
                              "running? Stop it, or pick another address with --listen HOST:PORT") from None


def start_worker(config: str | None, profile: str) -> subprocess.Popen:
    """One `gateway worker` process: delivers the outbox, collects from the banks, sends webhooks."""
    command = [sys.executable, "-m", "gateway.cli.main", "worker", "--profile", profile]
    if config:
        command += ["--config", config]
    return subprocess.Popen(command)


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)  # it finishes the delivery it is in the middle of
    except subprocess.TimeoutExpired:
        worker.kill()


def prepare_database(settings: Settings) -> None:
    """Migrate the development database once, here in the master, before the workers
    fork: N workers migrating a fresh database at the same moment would race."""
    if settings.profile == "development":
        open_database(settings).dispose()


def urls_to_try(base: str, settings: Settings) -> str:
    return "\n".join([
        f"gateway: serving on {base} ({settings.profile} profile, {settings.workers} workers)",
        f"  health:   curl {base}/health",
        f"  validate: curl -H 'Content-Type: application/xml' --data-binary @{SAMPLE} '{base}/validate?profile=sepa'",
        f"  JUnit:    curl -H 'Content-Type: application/xml' --data-binary @{SAMPLE} '{base}/validate?format=junit'",
        f"  API docs: {base}/docs  (OpenAPI: {base}/openapi.json)",
        "  a payment end to end: .venv/bin/python examples/walkthrough.py",
        "  stop with Ctrl-C",
    ])


def _when_ready(server) -> None:
    """Print the addresses actually bound (gunicorn hook; runs in the master once listening)."""
    for listener in server.LISTENERS:
        print(urls_to_try(str(listener), server.app.settings), flush=True)


def _freeze_loaded_objects(_worker) -> None:
    """After a worker has built its app (gunicorn hook): the modules, schemas and mappings loaded so
    far live as long as the process, so the collector is told to stop looking at them.  A full
    collection otherwise walked them all every couple of thousand requests, ~70 ms each time,
    about 3% of an accepted payment's CPU."""
    gc.collect()
    gc.freeze()


class GatewayServer(BaseApplication):
    """gunicorn driven from Python: no gunicorn command line, config file or
    GUNICORN_CMD_ARGS is read, so what runs is exactly what Settings checked.
    Each worker builds its own app (no preload), so nothing opened in the master
    (database connections later) is shared across fork."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        host, port = self.settings.host_port
        options = {
            "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": self.settings.workers,
            "worker_class": "sync",
            "preload_app": False,
            "accesslog": "-",
            "errorlog": "-",
            "proc_name": "iso20022-gateway",
            "when_ready": _when_ready,
            "post_worker_init": _freeze_loaded_objects,
            "timeout": 60,
            "graceful_timeout": 20,
        }
        if "control_socket_disable" in self.cfg.settings:  # newer gunicorn: no runtime-control socket in ~
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        from gateway.api import create_app

        return create_app(self.settings)


def main(argv: list[str] | None = None) -> int:
    """``python -m gateway.cli.serve``: the same command where the ``gateway``
    script does not (yet) list it; errors and exit codes as ``gateway`` has them."""
    parser = argparse.ArgumentParser(prog="gateway")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.run(args)
    except GatewayError as exc:
        print(f"gateway: {exc.code}: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
