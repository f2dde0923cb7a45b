"""``cnllm emulator`` (or ``python -m cnllm.emulator``): serve until Ctrl-C or SIGTERM.

It prints its URL on the first line (for scripts), then the shell lines that point every
vendor's classes at it (base URLs and dummy credentials), ready to paste.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .env import export_lines
from .server import Emulator, is_loopback

DESCRIPTION = (
    "Serve the vendors' HTTP protocols (Qianfan, DashScope, Koala, ClueAI) on one loopback "
    "port, offline, with deterministic answers. Prints the URL, then the export lines that "
    "point your own code at it."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnllm emulator",
        description=DESCRIPTION,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address only")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before a response")
    parser.add_argument("--chunk-interval", type=float, default=0.0, help="seconds between events")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=0.0,
        help="requests per second per vendor; beyond it, the vendor's own throttling error",
    )
    parser.add_argument("--strict", action="store_true", help="check credentials and signatures")
    parser.add_argument("--qianfan-ak", help="OAuth API Key accepted in strict mode")
    parser.add_argument("--qianfan-sk", help="OAuth Secret Key accepted in strict mode")
    parser.add_argument("--qianfan-access-key", help="IAM Access Key accepted in strict mode")
    parser.add_argument("--qianfan-secret-key", help="IAM Secret Key accepted in strict mode")
    parser.add_argument("--qianfan-api-key", help="the v2 API key (bce-v3/…) v2 accepts")
    parser.add_argument("--dashscope-api-key", help="DashScope key accepted in strict mode")
    parser.add_argument("--clueai-api-key", help="ClueAI key accepted in strict mode")
    parser.add_argument("--koala-api-key", help="Bearer key(s) Koala checks, comma-separated")
    parser.add_argument("--token-ttl", type=int, default=2592000, help="access token lifetime")
    parser.add_argument(
        "--stream-usage-style",
        choices=("2023", "2024"),
        default="2024",
        help="usage in stream chunks: 2024 = placeholder then totals; 2023 = per chunk",
    )
    return parser


def _credentials(args: argparse.Namespace) -> dict[str, str]:
    names = (
        "qianfan_ak",
        "qianfan_sk",
        "qianfan_access_key",
        "qianfan_secret_key",
        "qianfan_api_key",
        "dashscope_api_key",
        "clueai_api_key",
    )
    return {name: getattr(args, name) for name in names if getattr(args, name)}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not is_loopback(args.host):
        print(f"refusing to bind {args.host!r}: the emulator serves loopback only", file=sys.stderr)
        return 2
    emulator = Emulator(
        host=args.host,
        port=args.port,
        latency=args.latency,
        chunk_interval=args.chunk_interval,
        strict=args.strict,
        token_ttl=args.token_ttl,
        credentials=_credentials(args),
        stream_usage_style=args.stream_usage_style,
        **({"koala_api_key": args.koala_api_key} if args.koala_api_key else {}),
    )
    emulator.rate_limit = args.rate_limit
    try:
        emulator.start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(banner(emulator.base_url, args), flush=True)
    print("cnllm emulator serving; Ctrl-C stops it", file=sys.stderr, flush=True)
    _wait_for_signal()
    emulator.stop()
    return 0


def banner(base_url: str, args: argparse.Namespace) -> str:
    """The URL alone on the first line (scripts read it), then the lines to paste."""
    credentials = _credentials(args)
    if args.koala_api_key:
        credentials["koala_api_key"] = args.koala_api_key
    keys = "the keys given with --strict" if args.strict else "dummy keys (any key is accepted)"
    return "\n".join(
        [
            base_url,
            f"# Point every vendor at this emulator, with {keys}; paste into your shell:",
            *export_lines(base_url, credentials),
        ]
    )


def _wait_for_signal() -> None:
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
