"""Reading GPUs from nvidia-smi's CSV query."""

from __future__ import annotations

from cosmos_tui.records import GpuStatus

FIELDS = "index,name,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw,power.limit"
QUERY = f"nvidia-smi --query-gpu={FIELDS} --format=csv,noheader,nounits"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # "[N/A]" and friends


def parse(text: str) -> list[GpuStatus]:
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 8 or not parts[0].isdigit():
            continue
        gpus.append(
            GpuStatus(
                index=int(parts[0]),
                name=parts[1],
                memory_total_mib=_number(parts[2]) or 0.0,
                memory_used_mib=_number(parts[3]) or 0.0,
                utilization=_number(parts[4]) or 0.0,
                temperature_c=_number(parts[5]) or 0.0,
                power_w=_number(parts[6]),
                power_limit_w=_number(parts[7]),
            )
        )
    return gpus
