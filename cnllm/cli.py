"""The ``cnllm`` command: ``cnllm demo`` and ``cnllm emulator``.

Failures a user can fix (a missing extra, an unknown model, a server that is down) print one
line naming the fix and exit non-zero, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

USAGE = """\
usage: cnllm {demo,emulator} [options]

  demo      a RAG chain over a bundled Chinese corpus, against the built-in emulator unless
            the provider's credentials are set (cnllm demo --help)
  emulator  serve every vendor's protocol on a loopback port and print the lines that point
            your own code at it (cnllm emulator --help)
"""

# The module a missing import belongs to -> the extra that installs it.
EXTRAS = {
    "langchain_core": "langchain",
    "numpy": "demo",
    "llama_index": "llamaindex",
}


def _extra_hint(exc: ModuleNotFoundError, command: str) -> str:
    root = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(root)
    if extra is None:
        return f"{command}: {exc}"
    if command == "cnllm demo":  # the demo extra brings langchain-core and numpy with it
        extra = "llamaindex" if extra == "llamaindex" else "demo"
        extras = "demo,llamaindex" if extra == "llamaindex" else "demo"
    else:
        extras = extra
    return f"{command} needs the {extra} extra: pip install 'langchain-cnllm[{extras}]'"


def _one_line(exc: BaseException) -> str:
    """The message of an error, on one line (pydantic's validation errors span several)."""
    errors = getattr(exc, "errors", None)
    if callable(errors) and type(exc).__name__ == "ValidationError":
        try:
            first = errors()[0]
            message = str(first.get("msg", exc)).removeprefix("Value error, ")
        except (TypeError, IndexError, AttributeError):
            message = str(exc)
    else:
        message = str(exc)
    return " ".join(message.split())


def _run_guarded(command: str, run: Callable[[], int]) -> int:
    from cnllm.errors import CnLLMError

    try:
        return run()
    except ModuleNotFoundError as exc:
        print(_extra_hint(exc, command), file=sys.stderr)
    except (CnLLMError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        message = _one_line(exc)
        kind = type(exc).__name__
        print(
            f"{command}: {message if message.startswith(kind) else f'{kind}: {message}'}",
            file=sys.stderr,
        )
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    return 1


def _demo(argv: list[str]) -> int:
    def run() -> int:
        from cnllm.demo.rag import main as demo_main

        return demo_main(argv)

    return _run_guarded("cnllm demo", run)


def _emulator(argv: list[str]) -> int:
    from cnllm.emulator.__main__ import main as emulator_main

    return emulator_main(argv)


COMMANDS: dict[str, Callable[[list[str]], int]] = {"demo": _demo, "emulator": _emulator}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in COMMANDS:
        return COMMANDS[args[0]](args[1:])
    if args and args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0
    if args and args[0] in ("-V", "--version"):
        from cnllm import __version__

        print(f"cnllm {__version__}")
        return 0
    print(USAGE, end="", file=sys.stderr)
    if args:
        print(f"cnllm: unknown command {args[0]!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
