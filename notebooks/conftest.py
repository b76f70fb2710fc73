"""Run the notebooks under pytest with nbval in lax mode.

Only cells marked `# NBVAL_CHECK_OUTPUT` have their output compared, after the substitutions in
nbval_sanitize.cfg. The kernel is the Python running pytest (so the notebooks always import this
checkout's n2s_lite), and N2S_HEADLESS=1 tells notebooks with widgets to draw static figures instead.
"""
import os
from pathlib import Path

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")


def pytest_configure(config):
    option = config.option
    if not (option.nbval or option.nbval_lax):
        option.nbval_lax = True
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZE)
    if option.nbval_kernel_name is None:
        option.nbval_current_env = True
    os.environ["N2S_HEADLESS"] = "1"
