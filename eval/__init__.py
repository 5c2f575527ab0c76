"""Answer-quality evaluation: the regression set, its metrics, the CLI, the CI gate and the UI hook.

``python -m eval --pipeline both`` scores the assistant and the textbook LangChain pipeline side by
side; ``eval.runner.run_evaluation`` is the same run for programs (the web UI, the CI gate).
"""
