"""Compare the weights of two torch modules (or their state dicts) in tests."""
import torch


def same_weights(a, b) -> bool:
    """True when a and b (modules or state dicts) hold the same tensors under the same names, bit for bit."""
    mine, theirs = (x.state_dict() if isinstance(x, torch.nn.Module) else x for x in (a, b))
    return mine.keys() == theirs.keys() and all(torch.equal(mine[name], theirs[name]) for name in mine)
