"""n2s_lite.machine: the processor, torch's kernels and a training fingerprint of the machine a run is on."""
import torch

from n2s_lite import machine

TWO_CPUS = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
stepping\t: 1
cache size\t: 1024 KB
flags\t\t: fpu avx512f

processor\t: 1
vendor_id\t: OtherVendor
cpu family\t: 25
"""


def test_cpu_model_reads_the_first_processor_of_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(TWO_CPUS)
    assert machine.cpu_model(cpuinfo) == dict(vendor="AuthenticAMD", family="26", model="2", stepping="1",
                                              name="AMD EPYC", cache="1024 KB")


def test_cpu_model_reads_an_arm_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n"
                       "CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n"
                       "processor\t: 1\nCPU part\t: 0xd03\n")
    assert machine.cpu_model(cpuinfo) == dict(implementer="0x41", part="0xd08", variant="0x0", revision="3")


def test_cpu_model_without_a_readable_cpuinfo_falls_back_to_the_platform(tmp_path, monkeypatch):
    monkeypatch.setattr(machine.platform, "processor", lambda: "arm")
    assert machine.cpu_model(tmp_path / "missing") == dict(name="arm")
    unknown = tmp_path / "cpuinfo"
    unknown.write_text("processor\t: 0\nisa\t: rv64imafdc\n")  # a RISC-V machine: none of the known fields
    assert machine.cpu_model(unknown) == dict(name="arm")
    monkeypatch.setattr(machine.platform, "processor", lambda: "")  # what Linux often says
    monkeypatch.setattr(machine.platform, "machine", lambda: "riscv64")
    assert machine.cpu_model(unknown) == dict(name="riscv64")


def test_fingerprint_is_the_same_for_the_same_seed_and_threads_and_leaves_the_caller_alone():
    threads_before = torch.get_num_threads()
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    first = machine.training_fingerprint(steps=2, threads=1)
    assert torch.equal(torch.rand(3), expected_draw)  # the caller's random stream is untouched
    assert torch.get_num_threads() == threads_before
    again = machine.training_fingerprint(steps=2, threads=1)
    other_seed = machine.training_fingerprint(steps=2, threads=1, seed=1)
    timing_aside = lambda record: {k: v for k, v in record.items() if k != "seconds"}  # noqa: E731
    assert timing_aside(first) == timing_aside(again) and len(first["weights_sha256"]) == 16
    assert first["seconds"] > 0
    assert other_seed["weights_sha256"] != first["weights_sha256"]


def test_describe_names_kernels_processor_and_fingerprint():
    described = machine.describe()
    assert described["cpu_capability"] == machine.cpu_capability()
    assert described["cpu"] == machine.cpu_model()
    assert described["fingerprint"]["threads"] == 2 and described["fingerprint"]["steps"] == 30
    assert described["fingerprint"]["weights_sha256"] == machine.training_fingerprint()["weights_sha256"]
