"""Compare the weights of two torch modules in tests."""
import torch


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    """True when a and b hold the same tensors under the same names, bit for bit."""
    mine, theirs = a.state_dict(), b.state_dict()
    return mine.keys() == theirs.keys() and all(torch.equal(mine[name], theirs[name]) for name in mine)
