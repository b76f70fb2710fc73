"""n2s_lite.machine: the processor and torch's kernels of the machine a run is on."""
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


def test_describe_names_cores_kernels_and_processor_and_trains_nothing(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("describe ran an optimiser step")

    monkeypatch.setattr(torch.optim.Optimizer, "step", no_training)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    described = machine.describe()
    assert set(described) == {"cpu_count", "usable_cores", "cpu_capability", "cpu", "platform",
                              "omp_num_threads"}
    assert described["cpu_capability"] == machine.cpu_capability() and described["cpu"] == machine.cpu_model()
    assert described["omp_num_threads"] == "3"
