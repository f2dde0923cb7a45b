"""The ``cnllm`` command: ``cnllm demo`` and ``cnllm emulator``."""

from __future__ import annotations

import argparse
import sys


def _demo(argv: list[str]) -> int:
    try:
        from cnllm.demo.rag import main as demo_main
    except ImportError as exc:  # langchain-core is an extra
        print(f"cnllm demo needs the demo extra: pip install 'langchain-cnllm[demo]' ({exc})")
        return 2
    return demo_main(argv)


def _emulator(argv: list[str]) -> int:
    from cnllm.emulator.__main__ import main as emulator_main

    return emulator_main(argv)


COMMANDS = {"demo": _demo, "emulator": _emulator}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="cnllm", description=__doc__)
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to run")
    if not args or args[0] not in COMMANDS:
        parser.print_help()
        return 0 if not args or args[0] in ("-h", "--help") else 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
